import { PassThrough, type Readable } from 'node:stream';

/** Linkerd: request bodies up to 64 KiB are buffered so that the request can be retried. */
export const MAX_REPLAYABLE_BODY_BYTES = 64 * 1024;

export type RequestBody =
  | { kind: 'empty' }
  /** Fully read: can be sent again. */
  | { kind: 'buffered'; data: Buffer }
  /** Streamed once (too large to buffer, or not worth buffering). */
  | { kind: 'stream'; stream: Readable };

export function isReplayable(body: RequestBody): boolean {
  return body.kind !== 'stream';
}

/**
 * Reads up to `limit` bytes. If the body ends within the limit it is buffered; otherwise the
 * bytes read so far are put in front of the rest in a new stream, and the body is not replayable.
 */
export function bufferBody(source: Readable, limit: number = MAX_REPLAYABLE_BODY_BYTES): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      source.pause();
      cleanup();
      const rest = new PassThrough();
      for (const c of chunks) rest.write(c);
      source.on('error', (err) => rest.destroy(err));
      source.pipe(rest);
      resolve({ kind: 'stream', stream: rest });
    };
    const onEnd = () => {
      cleanup();
      resolve(size === 0 ? { kind: 'empty' } : { kind: 'buffered', data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('the client closed the request before its body ended'));
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
  });
}
