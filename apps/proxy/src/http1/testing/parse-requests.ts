import type { Fields } from '../response-parser';
import { RequestParseError, RequestParser, type RequestErrorCode, type RequestHead } from '../request-parser';

export interface ParsedRequest {
  head: RequestHead;
  body: string;
  trailers: Fields | undefined;
}

export interface ParseOutcome {
  requests: ParsedRequest[];
  refused: RequestErrorCode | undefined;
}

/**
 * Feeds `data` to a request parser in the given pieces, moving on to each next request as soon as
 * one ends (as a server does once it has answered), then ends the connection. Anything other than a
 * RequestParseError is thrown on.
 */
export function parseRequests(pieces: readonly Buffer[]): ParseOutcome {
  const requests: ParsedRequest[] = [];
  let current: ParsedRequest | undefined;
  const parser = new RequestParser({
    onHead: (head) => {
      current = { head, body: '', trailers: undefined };
      requests.push(current);
    },
    onBody: (chunk) => {
      if (current !== undefined) current.body += chunk.toString('latin1');
    },
    onEnd: (trailers) => {
      if (current !== undefined) current.trailers = trailers;
    },
  });
  try {
    for (const piece of pieces) {
      parser.execute(piece);
      while (parser.done) parser.next();
    }
    if (!parser.tunnel) parser.finish();
    return { requests, refused: undefined };
  } catch (err) {
    if (err instanceof RequestParseError) return { requests, refused: err.code };
    throw err;
  }
}

/** Splits `data` at the given offsets (sorted, deduplicated, within bounds). */
export function splitAt(data: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < data.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(data.subarray(from, cut));
    from = cut;
  }
  pieces.push(data.subarray(from));
  return pieces;
}
