// The one place that loads @peculiar/x509, lazily: it costs a few hundred ms and several MiB at load, and a
// process that imports this lib (the proxy) may never create or check a CSR. It needs the Reflect metadata
// polyfill before it is evaluated and a WebCrypto provider (Node's) before it is used.
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

export type { X509 };
export const subtle = webcrypto.subtle;

let loading: Promise<typeof X509> | undefined;

export function loadX509(): Promise<typeof X509> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return loading;
}
