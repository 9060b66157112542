import type { FastifyServerOptions } from 'fastify';
import { stdSerializers, symbols, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { isSecretFieldName, redactError, redactField, redactSecrets, redactUrl } from './redaction.js';

// A type, not an interface: pino's serializer types want an index signature.
type SerializedRequest = {
  method: string;
  url: string;
  ip?: string;
  id?: string;
};

/** Keys whose values pino hands to a serializer below; the serializers do their own redaction. */
const SERIALIZED = new Set(['req', 'res', 'err']);

const JSON_KEY = /"((?:[^"\\]|\\.)*)":/g;

/**
 * pino serialises a child's bindings once, when the child is made, and runs no formatter over
 * them: mask secret-named bindings here. The common child (Fastify's `{reqId}`) only costs a
 * scan of its few keys.
 */
function redactChildBindings(child: Logger): void {
  const holder = child as unknown as Record<symbol, string>;
  const chindings = holder[symbols.chindingsSym] ?? '';
  // The parent's part was checked when the parent was made: scan only what this child added.
  const inherited = (Object.getPrototypeOf(child) as Record<symbol, string | undefined>)[symbols.chindingsSym] ?? '';
  JSON_KEY.lastIndex = chindings.startsWith(inherited) ? inherited.length : 0;
  let secret = false;
  for (let match = JSON_KEY.exec(chindings); match && !secret; match = JSON_KEY.exec(chindings)) {
    const key = match[1]!;
    secret = isSecretFieldName(key.includes('\\') ? (JSON.parse(`"${key}"`) as string) : key);
  }
  if (!secret) return;
  const masked = JSON.stringify(redactSecrets(JSON.parse(`{${chindings.slice(1)}}`)));
  holder[symbols.chindingsSym] = `,${masked.slice(1, -1)}`;
}

/**
 * pino options for Fastify: JSON lines, request ids, secrets redacted, URLs scrubbed.
 *
 * Redaction runs in pino's `formatters` rather than its `redact` option. pino 10's `redact`
 * (@pinojs/redact) walks wildcard paths on every call: measured at ~20 µs for each request's
 * child logger and ~120 µs per logged line with our paths, against ~1 µs for this name-based walk,
 * which also catches secret names at any depth instead of a fixed list of paths.
 */
export function loggerOptions(config: Config, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level: config.server.log_level,
    formatters: {
      log(object: Record<string, unknown>) {
        let out: Record<string, unknown> | undefined;
        for (const key of Object.keys(object)) {
          if (SERIALIZED.has(key)) continue;
          const value = object[key];
          const masked = redactField(key, value);
          if (masked !== value) (out ??= { ...object })[key] = masked;
        }
        return out ?? object;
      },
      bindings: (bindings: Record<string, unknown>) => redactSecrets(bindings) as Record<string, unknown>,
    },
    onChild: redactChildBindings,
    serializers: {
      req(req: { method: string; url: string; ip?: string; id?: string }): SerializedRequest {
        return { method: req.method, url: redactUrl(req.url), ip: req.ip, id: req.id };
      },
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      err: (err: Error) => redactError(stdSerializers.err(err)),
    },
    ...(stream ? { stream } : {}),
  } as FastifyServerOptions['logger'];
}
