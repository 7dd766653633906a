export * from './defaults';
export * from './errors';
export * from './pod';
export * from './proxy-container';
export * from './inject-pod';
export * from './inject-manifests';
export * from './admission';
