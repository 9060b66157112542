/**
 * The baseline: the same Fastify and form parser Gatehouse uses, with nothing else. GET / is the
 * ceiling for GET scenarios, POST /form (a form body, parsed) for POST scenarios.
 */
import Fastify from 'fastify';
import formbody from '@fastify/formbody';

const app = Fastify({ logger: false });
await app.register(formbody);
app.get('/', async () => ({ ok: true }));
app.post('/form', async (request) => ({ ok: true, fields: Object.keys(request.body as object).length }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
