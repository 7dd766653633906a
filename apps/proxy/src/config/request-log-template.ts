import { ConfigError } from './errors';

/** What a request log line can refer to; mirrors the fields of Knative's request log template. */
export interface RequestLogFields {
  readonly method: string;
  readonly uri: string;
  readonly host: string;
  readonly proto: string;
  readonly remoteAddr: string;
  readonly userAgent: string;
  readonly referer: string;
  readonly contentLength: string;
  readonly header: (name: string) => string;
  readonly status: number;
  readonly responseSize: number;
  /** Seconds, as Knative prints `.Response.Latency`. */
  readonly latencySeconds: number;
  readonly revision: Readonly<Record<'Name' | 'Namespace' | 'Configuration' | 'PodName' | 'PodIP', string>>;
}

type Getter = (fields: RequestLogFields) => string;
export type RequestLogTemplate = (fields: RequestLogFields) => string;

const VARIABLE = 'SERVING_REQUEST_LOG_TEMPLATE';

const FIELDS: Record<string, Getter> = {
  '.Request.Method': (f) => f.method,
  '.Request.RequestURI': (f) => f.uri,
  '.Request.URL': (f) => f.uri,
  '.Request.Host': (f) => f.host,
  '.Request.Proto': (f) => f.proto,
  '.Request.RemoteAddr': (f) => f.remoteAddr,
  '.Request.UserAgent': (f) => f.userAgent,
  '.Request.Referer': (f) => f.referer,
  '.Request.ContentLength': (f) => f.contentLength,
  '.Response.Code': (f) => String(f.status),
  '.Response.Size': (f) => String(f.responseSize),
  '.Response.Latency': (f) => String(f.latencySeconds),
  '.Revision.Name': (f) => f.revision.Name,
  '.Revision.Namespace': (f) => f.revision.Namespace,
  '.Revision.Configuration': (f) => f.revision.Configuration,
  '.Revision.PodName': (f) => f.revision.PodName,
  '.Revision.PodIP': (f) => f.revision.PodIP,
};

/** Go's text/template `js` function: escapes a value for use inside a JavaScript (or JSON) string. */
function jsEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1).replace(/'/g, "\\'").replace(/</g, '\\u003C').replace(/>/g, '\\u003E');
}

function action(source: string): Getter {
  const words = source.trim().match(/"[^"]*"|\S+/g) ?? [];
  if (words[0] === 'js' && words.length >= 2) {
    const inner = action(words.slice(1).join(' '));
    return (f) => jsEscape(inner(f));
  }
  if (words[0] === 'index' && words[1] === '.Request.Header' && words.length === 3 && words[2]?.startsWith('"')) {
    const name = words[2].slice(1, -1);
    return (f) => f.header(name);
  }
  const getter = words.length === 1 && words[0] !== undefined ? FIELDS[words[0]] : undefined;
  if (!getter) {
    throw new ConfigError(
      VARIABLE,
      `unsupported action {{${source}}}; supported: ${Object.keys(FIELDS).join(', ')}, index .Request.Header "Name", js <field>`,
    );
  }
  return getter;
}

/** Compiles the subset of Knative's Go request-log template that queue-proxy templates use. */
export function compileRequestLogTemplate(template: string): RequestLogTemplate {
  const parts: Array<string | Getter> = [];
  let rest = template;
  for (let open = rest.indexOf('{{'); open !== -1; open = rest.indexOf('{{')) {
    const close = rest.indexOf('}}', open);
    if (close === -1) throw new ConfigError(VARIABLE, 'unclosed {{ in template');
    if (open > 0) parts.push(rest.slice(0, open));
    parts.push(action(rest.slice(open + 2, close)));
    rest = rest.slice(close + 2);
  }
  if (rest !== '') parts.push(rest);
  return (fields) => {
    let line = '';
    for (const part of parts) line += typeof part === 'string' ? part : part(fields);
    return line;
  };
}
