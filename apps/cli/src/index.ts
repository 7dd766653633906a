// What tools (the local mesh's end-to-end test) use of the CLI.
export { runCli } from './cli';
export type { Io } from './command';
export { startDashboard } from './dashboard/dashboard-server';
export type { Dashboard } from './dashboard/dashboard-server';
export { metricSources } from './metric-sources';
export { readLocalMesh } from './local-replicas';
