import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { exitWhenOrphaned, portsFromArgv } from './orphan-guard';

/** `@fastify/http-proxy` (undici underneath, through @fastify/reply-from) with its defaults and logging off. */
const { listen, target } = portsFromArgv('fastify-peer');
exitWhenOrphaned();
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://127.0.0.1:${target}` });
await app.listen({ port: listen, host: '127.0.0.1' });
