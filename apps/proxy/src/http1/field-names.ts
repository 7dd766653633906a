/**
 * The field names clients and servers send most, each under the spellings they use (as registered,
 * and lowercase). The parsers look a name up here first: a hit is a valid token and needs no
 * toLowerCase, which together cost more than the lookup (a few hundred ns per head).
 */
const COMMON_FIELD_NAMES = [
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Accept-Ranges',
  'Age',
  'Authorization',
  'Cache-Control',
  'Connection',
  'Content-Encoding',
  'Content-Length',
  'Content-Type',
  'Cookie',
  'Date',
  'ETag',
  'Expect',
  'Expires',
  'Grpc-Encoding',
  'Grpc-Message',
  'Grpc-Status',
  'Host',
  'Keep-Alive',
  'Last-Modified',
  'Location',
  'Origin',
  'Referer',
  'Server',
  'Set-Cookie',
  'TE',
  'Traceparent',
  'Transfer-Encoding',
  'Upgrade',
  'User-Agent',
  'Vary',
  'X-Forwarded-For',
  'X-Request-Id',
];

const KEYS = new Map<string, string>();
for (const name of COMMON_FIELD_NAMES) {
  const key = name.toLowerCase();
  KEYS.set(name, key);
  KEYS.set(key, key);
}

/** The lowercase key of a common field name as received, or undefined (then check and lowercase it). */
export function commonFieldKey(name: string): string | undefined {
  return KEYS.get(name);
}
