import { createKeyring } from '../../crypto/keyring.js';
import { rotateSigningKey } from '../../oauth/signing-keys.js';
import { UsageError, type Command } from '../command.js';

const rotate: Command = {
  name: 'keys rotate',
  summary: 'make a new signing key active; old public keys stay in the JWKS until their tokens expire',
  synopsis: '',
  options: {},
  async run(ctx) {
    const keys = ctx.config.secrets.encryption_keys;
    if (!keys) throw new UsageError('ENCRYPTION_KEYS is not configured');
    const result = await rotateSigningKey({ db: await ctx.db(), cache: await ctx.cache(), keyring: createKeyring(keys), config: ctx.config });
    const audit = await ctx.audit();
    audit.record({ event: 'admin_action', ...ctx.actor, subject: result.kid, details: { action: 'keys.rotate', retired_kid: result.retiredKid } });
    return { success: true, ...result };
  },
};

export const keyCommands: Command[] = [rotate];
