// The part of the Kubernetes Pod model the injection reads and writes; everything else passes through untouched.

export type Json = Record<string, unknown>;

export interface ContainerPort {
  name?: string;
  containerPort: number;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Json;
}

export interface Container {
  name: string;
  ports?: ContainerPort[];
  env?: EnvVar[];
  readinessProbe?: Json;
  restartPolicy?: string;
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  volumes?: Json[];
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
  [field: string]: unknown;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec: PodSpec;
}
