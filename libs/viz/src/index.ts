export * from './prometheus-text';
export * from './histogram-quantile';
export * from './golden';
export * from './views';
export * from './dashboard-state';
