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

/** A tiny gRPC service with raw-bytes messages: Unary echoes, Stream sends N copies, Fail fails. */
export const EchoService = {
  unary: method('Unary', false),
  stream: method('Stream', true),
  fail: method('Fail', false),
};

export const EchoClient = makeGenericClientConstructor(EchoService, 'trellis.test.Echo');

export async function startGrpcEcho(): Promise<{ port: number; close(): void }> {
  const server = new Server();
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
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, close: () => server.forceShutdown() };
}
