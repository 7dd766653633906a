import {
  Metadata,
  Server,
  ServerCredentials,
  makeGenericClientConstructor,
  status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';

const identity = (b: Buffer) => b;
const method = (name: string, responseStream: boolean) => ({
  path: `/trellis.test.Echo/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

/**
 * A tiny gRPC service with raw-bytes messages: Unary echoes, Stream sends N copies, Fail fails,
 * Flaky fails with UNAVAILABLE every other call (the first included).
 */
export const EchoService = {
  unary: method('Unary', false),
  stream: method('Stream', true),
  fail: method('Fail', false),
  flaky: method('Flaky', false),
};

export const EchoClient = makeGenericClientConstructor(EchoService, 'trellis.test.Echo');

export async function startGrpcEcho(): Promise<{ port: number; flakyCalls(): number; close(): void }> {
  const server = new Server();
  let flaky = 0;
  server.addService(EchoService, {
    unary(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
      const trailer = new Metadata();
      trailer.set('x-echo-trailer', 'kept');
      callback(null, call.request, trailer);
    },
    stream(call: ServerWritableStream<Buffer, Buffer>) {
      const n = call.request.readUInt8(0);
      for (let i = 0; i < n; i++) call.write(Buffer.from([i]));
      call.end();
    },
    fail(_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
      callback({ code: status.FAILED_PRECONDITION, details: 'nope' });
    },
    flaky(call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) {
      flaky += 1;
      if (flaky % 2 === 1) callback({ code: status.UNAVAILABLE, details: 'try again' });
      else callback(null, call.request);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, flakyCalls: () => flaky, close: () => server.forceShutdown() };
}
