export * from './generated/destination';
export * from './generated/net';
export * from './generated/http_types';
export * from './generated/meta';
export * from './generated/stat';
export { Duration } from './generated/google/protobuf/duration';
export * from './generated/identity';
export { Timestamp } from './generated/google/protobuf/timestamp';
