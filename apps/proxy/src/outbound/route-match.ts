import { HttpMethod_Registered, type HttpMethod, type RequestMatch, type ResponseMatch } from '@trellis/proto';

export type RequestPredicate = (method: string, path: string) => boolean;
export type StatusPredicate = (status: number) => boolean;

const NEVER = () => false;

function methodName(method: HttpMethod): string | null {
  const t = method.type;
  if (t === undefined) return null;
  if (t.$case === 'unregistered') return t.value.toUpperCase();
  const name = HttpMethod_Registered[t.value];
  return name === undefined || name === 'UNRECOGNIZED' ? null : name;
}

/** ServiceProfile `pathRegex` must match the whole path (not a substring), without the query. */
function pathRegex(source: string): RegExp | null {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    return null;
  }
}

/**
 * Compiles a ServiceProfile request condition. An invalid regex or an empty condition never
 * matches, so a broken route cannot capture traffic meant for the routes after it.
 */
export function compileRequestMatch(m: RequestMatch | undefined): RequestPredicate {
  const match = m?.match;
  if (match === undefined) return NEVER;
  switch (match.$case) {
    case 'all': {
      const parts = match.value.matches.map(compileRequestMatch);
      return (method, path) => parts.every((p) => p(method, path));
    }
    case 'any': {
      const parts = match.value.matches.map(compileRequestMatch);
      return (method, path) => parts.some((p) => p(method, path));
    }
    case 'not': {
      const inner = compileRequestMatch(match.value);
      return (method, path) => !inner(method, path);
    }
    case 'path': {
      const re = pathRegex(match.value.regex);
      if (re === null) return NEVER;
      return (_method, path) => re.test(path);
    }
    case 'method': {
      const name = methodName(match.value);
      if (name === null) return NEVER;
      return (method) => method === name;
    }
  }
}

export function compileResponseMatch(m: ResponseMatch | undefined): StatusPredicate {
  const match = m?.match;
  if (match === undefined) return NEVER;
  switch (match.$case) {
    case 'all': {
      const parts = match.value.matches.map(compileResponseMatch);
      return (status) => parts.every((p) => p(status));
    }
    case 'any': {
      const parts = match.value.matches.map(compileResponseMatch);
      return (status) => parts.some((p) => p(status));
    }
    case 'not': {
      const inner = compileResponseMatch(match.value);
      return (status) => !inner(status);
    }
    case 'status': {
      const { min, max } = match.value;
      return (status) => status >= min && status <= max;
    }
  }
}
