import type { Deployment } from '@trellis/kube';
import { describe, expect, it } from 'vitest';
import { COMMAND_ANNOTATION, MAX_LOCAL_REPLICAS, parseCommand, readLocalWorkload, resolveEnv } from './local-workload';

const deployment = (annotations: Record<string, string> | undefined, spec: Deployment['spec'] = {}): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', ...(annotations ? { annotations } : {}) },
  spec,
});

describe('readLocalWorkload', () => {
  it('skips a Deployment without the command annotation', () => {
    expect(readLocalWorkload(deployment(undefined, { replicas: 2 }))).toEqual({ kind: 'skip' });
  });

  it('reads the command, env of the app and proxy containers, labels, ports and the user port', () => {
    const result = readLocalWorkload(
      deployment(
        { [COMMAND_ANNOTATION]: 'node dist/tools/local/demo-app.js --flag' },
        {
          replicas: 3,
          template: {
            metadata: { labels: { app: 'web', version: 'v2' } },
            spec: {
              containers: [
                {
                  name: 'app',
                  env: [
                    { name: 'DEMO_VERSION', value: 'v2' },
                    { name: 'NUMBER', value: 7 },
                    { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                    { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
                  ],
                },
                { name: 'trellis-proxy', env: [{ name: 'USER_PORT', value: '9000' }, { name: 'CONTAINER_CONCURRENCY', value: '4' }], ports: [{ name: 'web', containerPort: 8012 }] },
              ],
            },
          },
        },
      ),
    );
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    const w = result.workload;
    expect(w).toMatchObject({
      key: 'demo/web',
      replicas: 3,
      command: ['node', 'dist/tools/local/demo-app.js', '--flag'],
      userPort: 9000,
      labels: { app: 'web', version: 'v2' },
      namedPorts: { web: 8012 },
    });
    expect(resolveEnv(w.appEnv, { name: 'web-1', namespace: 'demo', address: '127.0.0.5' })).toEqual({ DEMO_VERSION: 'v2', NUMBER: '7', POD: 'web-1' });
    expect(resolveEnv(w.proxyEnv, { name: 'web-1', namespace: 'demo', address: '127.0.0.5' })).toEqual({ USER_PORT: '9000', CONTAINER_CONCURRENCY: '4' });
  });

  it('defaults to one replica and the Knative user port', () => {
    const result = readLocalWorkload(deployment({ [COMMAND_ANNOTATION]: '["my app", "--x"]' }));
    expect(result).toMatchObject({ kind: 'ok', workload: { replicas: 1, userPort: 8080, command: ['my app', '--x'] } });
  });

  it('changes the signature when the template changes but not when only replicas change', () => {
    const sig = (replicas: number, version: string) => {
      const r = readLocalWorkload(
        deployment({ [COMMAND_ANNOTATION]: 'app' }, { replicas, template: { spec: { containers: [{ name: 'a', env: [{ name: 'V', value: version }] }] } } }),
      );
      return r.kind === 'ok' ? r.workload.signature : r.kind;
    };
    expect(sig(1, 'a')).toBe(sig(5, 'a'));
    expect(sig(1, 'a')).not.toBe(sig(1, 'b'));
  });

  it.each([
    [{ [COMMAND_ANNOTATION]: '   ' }, {}, /is empty/],
    [{ [COMMAND_ANNOTATION]: '[1, 2]' }, {}, /JSON array of non-empty strings/],
    [{ [COMMAND_ANNOTATION]: '["a"' }, {}, /does not parse/],
    [{ [COMMAND_ANNOTATION]: 'app' }, { replicas: MAX_LOCAL_REPLICAS + 1 }, /spec.replicas must be an integer/],
    [{ [COMMAND_ANNOTATION]: 'app' }, { replicas: -1 }, /spec.replicas/],
    [{ [COMMAND_ANNOTATION]: 'app', 'local.trellis.io/container': 'nope' }, {}, /names container "nope"/],
    [{ [COMMAND_ANNOTATION]: 'app' }, { template: { spec: { containers: [{ name: 'a', env: [{ name: 'PORT', value: 'http' }] }] } } }, /must be a port number/],
  ])('reports an invalid Deployment (%j %j) with a reason', (annotations, spec, reason) => {
    const result = readLocalWorkload(deployment(annotations, spec as Deployment['spec']));
    expect(result).toEqual({ kind: 'invalid', key: 'demo/web', reason: expect.stringMatching(reason) });
  });

  it('splits plain commands on any whitespace', () => {
    expect(parseCommand('  node\tapp.js  --a ')).toEqual(['node', 'app.js', '--a']);
  });
});
