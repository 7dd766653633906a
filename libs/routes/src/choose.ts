import type { DestinationProfile, OutboundPolicy } from '@trellis/proto';
import { hasGatewayRoutes, tableFromPolicy } from './from-policy';
import { tableFromProfile, type ProfileOptions } from './from-profile';
import type { RouteTable } from './model';

/**
 * The route table in force for a service, from what the two APIs said (null: that API has nothing,
 * or is not served):
 * 1. a policy with Gateway API routes (HTTPRoute/GRPCRoute attached to the Service): the policy;
 * 2. else a ServiceProfile with routes or a traffic split: the profile as GetProfile sends it (the
 *    policy carries the same profile, but without its route names, response classes and budget);
 * 3. else the policy's default route (it carries the Service's retry and timeout annotations);
 * 4. else the default route.
 */
export function chooseRouteTable(policy: OutboundPolicy | null, profile: DestinationProfile | null, opts: ProfileOptions): RouteTable {
  const fromPolicy = policy === null ? undefined : tableFromPolicy(policy);
  if (fromPolicy !== undefined && hasGatewayRoutes(fromPolicy)) return fromPolicy;
  const fromProfile = tableFromProfile(profile, opts);
  if (profile !== null && (profile.routes.length > 0 || profile.dstOverrides.length > 0)) return fromProfile;
  if (fromPolicy !== undefined) return { ...fromPolicy, budget: fromProfile.budget };
  return fromProfile;
}
