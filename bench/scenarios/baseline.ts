import type { RunningServer } from '../servers/start.js';
import { fixedScenario, type Scenario } from './scenario.js';

export const BARE_GET = 'fastify.get';
export const BARE_POST = 'fastify.form_post';

/** The ceiling: bare Fastify with the same form parser, nothing else. */
export function baselineScenarios(fastify: RunningServer): Scenario[] {
  return [
    fixedScenario({
      id: BARE_GET,
      description: 'bare Fastify `GET /` → `{ok:true}`: the ceiling for GET scenarios',
      server: 'fastify',
      baseUrl: fastify.baseUrl,
      method: 'GET',
      request: { method: 'GET', path: '/' },
    }),
    fixedScenario({
      id: BARE_POST,
      description: 'bare Fastify form-encoded `POST /form` (@fastify/formbody): the ceiling for POST scenarios',
      server: 'fastify',
      baseUrl: fastify.baseUrl,
      method: 'POST',
      request: {
        method: 'POST',
        path: '/form',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${'x'.repeat(60)}` },
        body: 'grant_type=client_credentials&scope=api',
      },
    }),
  ];
}
