import { EventEmitter } from 'node:events';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { BoundedStream } from './bounded-stream';

class FakeCall extends EventEmitter {
  written: string[] = [];
  ended = 0;
  errors: { code: number; details: string }[] = [];
  writable = true;

  write(message: string): boolean {
    this.written.push(message);
    return this.writable;
  }

  end(): void {
    this.ended += 1;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') this.errors.push(args[0] as { code: number; details: string });
    return super.emit(event, ...args);
  }
}

function setup(limit: number) {
  const call = new FakeCall();
  call.on('error', () => undefined);
  const counts = { overflow: 0, sent: 0, closed: 0 };
  const stream = new BoundedStream<string>(call, {
    limit,
    onOverflow: () => (counts.overflow += 1),
    onSent: () => (counts.sent += 1),
    onClose: () => (counts.closed += 1),
  });
  return { call, stream, counts };
}

describe('BoundedStream', () => {
  it('writes through while the call accepts', () => {
    const { call, stream, counts } = setup(2);
    for (const m of ['a', 'b', 'c', 'd']) stream.send(m);
    expect(call.written).toEqual(['a', 'b', 'c', 'd']);
    expect(counts.sent).toBe(4);
  });

  it('queues after write() returns false and resumes on drain', () => {
    const { call, stream } = setup(5);
    call.writable = false;
    stream.send('a');
    stream.send('b');
    stream.send('c');
    expect(call.written).toEqual(['a']);
    call.writable = true;
    call.emit('drain');
    expect(call.written).toEqual(['a', 'b', 'c']);
  });

  it('closes with RESOURCE_EXHAUSTED once the backlog passes the limit, and counts it', () => {
    const { call, stream, counts } = setup(2);
    call.writable = false;
    for (const m of ['a', 'b', 'c', 'd', 'e']) stream.send(m);
    expect(call.written).toEqual(['a']);
    expect(call.errors).toHaveLength(1);
    expect(call.errors[0]?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(call.errors[0]?.details).toMatch(/more than 2 messages behind/);
    expect(counts).toMatchObject({ overflow: 1, closed: 1 });
    expect(stream.isClosed).toBe(true);
    call.emit('drain');
    expect(call.written).toEqual(['a']);
  });

  it('stops on cancel and ends once on shutdown', () => {
    const { call, stream, counts } = setup(2);
    stream.end();
    stream.end();
    expect(call.ended).toBe(1);
    expect(counts.closed).toBe(1);
    stream.send('late');
    expect(call.written).toEqual([]);
    const other = setup(2);
    other.call.emit('cancelled');
    other.stream.send('x');
    expect(other.call.written).toEqual([]);
    expect(other.counts.closed).toBe(1);
  });
});
