#!/usr/bin/env node
// `npx trellis ...` from the workspace: runs the TypeScript source through tsx, so it is never a stale build.
// The bundle (`nx build cli`: dist/apps/cli/main.js) runs with plain node.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
