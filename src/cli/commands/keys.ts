import { listSigningKeys } from '../../admin/signing-keys.js';
import { createKeyring } from '../../crypto/keyring.js';
import { rotateSigningKeys } from '../../oauth/signing-keys.js';
import { reencryptGoogleCredentials } from '../../vault/reencrypt.js';
import { UsageError, positiveInt, type Command } from '../command.js';

const rotate: Command = {
  name: 'keys rotate',
  summary:
    'make a new signing key active for every algorithm in use (access and ID tokens); old public keys stay in the JWKS until their tokens expire',
  synopsis: '',
  options: {},
  async run(ctx) {
    const keys = ctx.config.secrets.encryption_keys;
    if (!keys) throw new UsageError('ENCRYPTION_KEYS is not configured');
    const results = await rotateSigningKeys({
      db: await ctx.db(),
      repos: await ctx.repos(),
      cache: await ctx.cache(),
      keyring: createKeyring(keys),
      config: ctx.config,
    });
    const audit = await ctx.audit();
    for (const result of results) {
      audit.record({
        event: 'admin_action',
        ...ctx.actor,
        subject: result.kid,
        details: { action: 'keys.rotate', alg: result.alg, retired_kid: result.retiredKid },
      });
    }
    // The access-token key first, in the shape this command always printed; every rotation listed.
    const primary = results.find((r) => r.alg === ctx.config.security.jwt_algorithm) ?? results[0];
    return { success: true, ...primary, rotated: results };
  },
};

const reencrypt: Command = {
  name: 'keys reencrypt',
  summary: 're-encrypt Google tokens and signing keys under the active ENCRYPTION_KEYS key (batched, resumable)',
  synopsis: '[--batch-size <n>]',
  options: { 'batch-size': { type: 'string' } },
  async run(ctx, args) {
    const keys = ctx.config.secrets.encryption_keys;
    if (!keys) throw new UsageError('ENCRYPTION_KEYS is not configured');
    const result = await reencryptGoogleCredentials({
      db: await ctx.db(),
      repos: await ctx.repos(),
      keyring: createKeyring(keys),
      batchSize: positiveInt(args, 'batch-size', 100, 10_000),
    });
    const audit = await ctx.audit();
    audit.record({
      event: 'admin_action',
      ...ctx.actor,
      details: { action: 'keys.reencrypt', active_kid: result.activeKid },
    });
    return { success: true, ...result };
  },
};

const list: Command = {
  name: 'keys list',
  summary: 'token signing keys, newest first (kid, algorithm, active or retired; never key material)',
  synopsis: '',
  async run(ctx) {
    return { success: true, signing_keys: await listSigningKeys(await ctx.repos()) };
  },
};

export const keyCommands: Command[] = [list, rotate, reencrypt];
