/** Sets a Deployment's replica count. Implementations: fs (manifest folder) and kubernetes (scale subresource). */
export interface Actuator {
  readonly kind: 'fs' | 'kubernetes';
  scale(namespace: string, name: string, replicas: number): Promise<void>;
}
