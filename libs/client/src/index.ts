export { TrellisAgent, type TrellisAgentOptions, type TrellisClock } from './agent';
export { ClientError, type ClientErrorCode } from './errors';
export * from './defaults';
export { registerTrellisGrpc, type TrellisGrpc, type TrellisGrpcOptions } from './grpc';
