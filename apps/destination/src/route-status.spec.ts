import { describe, expect, it } from 'vitest';
import { ROUTE_STATUS_CONTROLLER, routeStatus } from './route-status';

const parent = { namespace: 'shop', name: 'web', port: 80 };
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';

describe('routeStatus', () => {
  it('writes one Accepted condition per Service parent and keeps other controllers entries', () => {
    const gateway = { parentRef: { name: 'gw' }, controllerName: 'example.com/gateway', conditions: [] };
    const status = routeStatus({ parents: [gateway] }, [{ parent, accepted: false, reason: 'InvalidRegex', message: 'bad' }], 3, T0);
    expect(status).toEqual({
      parents: [
        gateway,
        {
          parentRef: { group: '', kind: 'Service', namespace: 'shop', name: 'web', port: 80 },
          controllerName: ROUTE_STATUS_CONTROLLER,
          conditions: [{ type: 'Accepted', status: 'False', reason: 'InvalidRegex', message: 'bad', lastTransitionTime: T0, observedGeneration: 3 }],
        },
      ],
    });
  });

  it('keeps the transition time while the outcome holds, and moves it when it changes', () => {
    const rejected = routeStatus(undefined, [{ parent, accepted: false, reason: 'NoMatchingParent', message: 'gone' }], undefined, T0);
    expect(routeStatus(rejected, [{ parent, accepted: false, reason: 'NoMatchingParent', message: 'gone' }], undefined, T1)).toEqual(rejected);
    const accepted = routeStatus(rejected, [{ parent, accepted: true, reason: '', message: '' }], undefined, T1);
    expect(accepted.parents[0]?.conditions).toEqual([{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route accepted', lastTransitionTime: T1 }]);
  });

  it('drops its own entries for parents the route no longer has', () => {
    const before = routeStatus(undefined, [{ parent, accepted: true, reason: '', message: '' }], undefined, T0);
    expect(routeStatus(before, [], undefined, T1)).toEqual({ parents: [] });
  });
});
