import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { Config } from '../config/schema.js';
import { REDACT_PATHS, redactUrl } from './redaction.js';

interface SerializedRequest {
  method: string;
  url: string;
  ip?: string;
  id?: string;
}

/** pino options for Fastify: JSON lines, request ids, secrets redacted, URLs scrubbed. */
export function loggerOptions(config: Config, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level: config.server.log_level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      req(req: { method: string; url: string; ip?: string; id?: string }): SerializedRequest {
        return { method: req.method, url: redactUrl(req.url), ip: req.ip, id: req.id };
      },
    },
    ...(stream ? { stream } : {}),
  } as FastifyServerOptions['logger'];
}
