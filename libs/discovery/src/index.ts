export {
  Discovery,
  FIRST_MESSAGE_TIMEOUT_MS,
  STREAM_IDLE_TEARDOWN_MS,
  type DestinationApi,
  type DiscoveryOptions,
  type StreamKind,
  type StreamState,
} from './discovery-client';
export { DiscoveryError, type DiscoveryErrorCode } from './errors';
export {
  DEFAULT_ENDPOINT_WEIGHT,
  NOT_FOUND,
  applyResolutionUpdate,
  type ResolvedEndpoint,
  type Resolution,
} from './resolution';
export { addressId, toSocketAddress, type SocketAddress } from './tcp-address';
