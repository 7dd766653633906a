import type { Deployment, EndpointSlice, GRPCRoute, HTTPRoute, Informer, KubeObject, Pod, Service, ServiceProfile, Source, WatchEvent } from '@trellis/kube';
import { NEVER, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { watchTargets } from './target-watch';

function informer<T extends KubeObject>(items: () => T[], events$: Observable<WatchEvent<T>> = NEVER): Informer<T> {
  return { get: () => undefined, list: () => items(), events$ };
}

const deployment: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', annotations: { 'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev' } },
  spec: { template: { metadata: { labels: { app: 'web' } } } },
};

describe('watchTargets', () => {
  it('recomputes after the initial sync and after changes, coalescing bursts', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, hot, expectObservable }) => {
      let deployments: Deployment[] = [];
      const synced$ = cold<boolean>('f-t', { f: false, t: true });
      const deploymentEvents$ = hot<WatchEvent<Deployment>>('-----a-b-c------', {
        a: { type: 'ADDED', object: deployment },
        b: { type: 'MODIFIED', object: deployment },
        c: { type: 'MODIFIED', object: deployment },
      });
      deploymentEvents$.subscribe(() => (deployments = [deployment]));
      const source: Source = {
        deployments: informer(() => deployments, deploymentEvents$),
        services: informer<Service>(() => []),
        endpointSlices: informer<EndpointSlice>(() => []),
        pods: informer<Pod>(() => []),
        serviceProfiles: informer<ServiceProfile>(() => []),
        httpRoutes: informer<HTTPRoute>(() => []),
        grpcRoutes: informer<GRPCRoute>(() => []),
        synced$,
        errors$: NEVER,
        stats: () => ({}) as ReturnType<Source['stats']>,
        close: async () => undefined,
      };
      const keys$ = watchTargets(source, 9090, 3).pipe(map((views) => views.map((v) => v.key).join(',') || 'none'));
      // synced at 2 opens a 3-frame window; a (at 5) falls into it and the recompute at 5 sees the deployment.
      // b at 7 opens the next window; c at 9 is coalesced into it: one recompute at 10.
      expectObservable(keys$, '^ 20ms !').toBe('-----y----y', { y: 'shop/web' });
    });
  });
});
