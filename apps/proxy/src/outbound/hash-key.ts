import type { Exchange } from './exchange';

/** Where a ring-hash or Maglev balancer takes a request's key from (`balancer.trellis.io/hash-key`). */
export type HashKeySource = { kind: 'header'; name: string } | { kind: 'cookie'; name: string } | { kind: 'source-ip' };

/** A request's key; undefined when it has none (the hash balancers then pick at random). */
export type HashKeyOf = (ex: Exchange) => string | undefined;

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function hashKeyOf(source: HashKeySource): HashKeyOf {
  switch (source.kind) {
    case 'header': {
      const name = source.name.toLowerCase();
      return (ex) => ex.header(name);
    }
    case 'cookie':
      return (ex) => cookieValue(ex.header('cookie'), source.name);
    case 'source-ip':
      return (ex) => ex.remoteAddress;
  }
}
