export { TrellisAgent, type TrellisAgentOptions, type TrellisClock } from './agent';
export { ClientError, type ClientErrorCode } from './errors';
export * from './defaults';
