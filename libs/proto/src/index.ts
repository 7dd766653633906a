export * from './generated/destination';
export * from './generated/net';
export * from './generated/http_types';
export * from './generated/meta';
export * from './generated/stat';
export * from './generated/outbound';
// http_route.proto and destination.proto both define `PathMatch`, so the route match and filter types are
// reached through these namespaces: httpRoute.HttpRouteMatch, grpcRoute.GrpcRouteMatch, ...
export * as httpRoute from './generated/http_route';
export * as grpcRoute from './generated/grpc_route';
// inbound.proto and outbound.proto both define `ProxyProtocol`, `HttpRoute` and `GrpcRoute`, so the inbound
// policy types are reached through a namespace: inbound.Server, inbound.Authz, inbound.InboundServerPoliciesService, ...
export * as inbound from './generated/inbound';
export { Duration } from './generated/google/protobuf/duration';
export * from './generated/identity';
export { Timestamp } from './generated/google/protobuf/timestamp';
