import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { makeGenericClientConstructor, status } from '@grpc/grpc-js';
import type { DemoIdentity } from './http-app';

// A one-method gRPC service with JSON messages instead of protobuf, so the demo needs no codegen:
//   demo.Greeter/SayHello  {name: string} -> {message: string, replica: string, version: string}
// The mesh sees ordinary gRPC (HTTP/2, application/grpc, grpc-status trailers); only the payload bytes are JSON.

// Names longer than this are refused with INVALID_ARGUMENT.
export const MAX_NAME_LENGTH = 256;

export interface HelloRequest {
  name: string;
}

export interface HelloReply {
  message: string;
  replica: string;
  version: string;
}

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as unknown,
};

export const GREETER_PATH = '/demo.Greeter/SayHello';

export const greeterDefinition: ServiceDefinition = {
  SayHello: {
    path: GREETER_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

/** A client class for the greeter (used by tests and by anyone who wants to try the gRPC service). */
export const GreeterClient = makeGenericClientConstructor(greeterDefinition, 'Greeter');

export function greeterImplementation(who: DemoIdentity): UntypedServiceImplementation {
  return {
    SayHello: (
      call: { request: unknown },
      callback: (err: { code: number; details: string } | null, reply?: HelloReply) => void,
    ) => {
      const name = (call.request as Partial<HelloRequest> | null)?.name;
      if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
        callback({ code: status.INVALID_ARGUMENT, details: `name must be a string of at most ${MAX_NAME_LENGTH} characters` });
        return;
      }
      callback(null, { message: `hello, ${name || 'world'}`, replica: who.replica, version: who.version });
    },
  };
}
