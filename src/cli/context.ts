import { userInfo } from 'node:os';
import { AuditLog } from '../audit/audit-log.js';
import type { Cache } from '../cache/cache.js';
import { connectCache } from '../cache/connect.js';
import { cacheValueSigner } from '../cache/value-signer.js';
import { ClientStore } from '../clients/client-store.js';
import type { AdminActor } from '../clients/client-admin.js';
import { withDevSecrets } from '../config/dev-secrets.js';
import { loadConfig, readConfigSources } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createKeyring } from '../crypto/keyring.js';
import { createSecretHasher, type SecretHasher } from '../crypto/secret-hasher.js';
import { createRepositories, repositoryOptions, type Repositories } from '../repositories/index.js';
import { connectDatabase } from '../storage/connect.js';
import type { Database } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';

/**
 * What commands work with, opened only as far as a command needs: configuration exactly as
 * main.ts loads it, the database, and (for changes other instances must hear about) the cache.
 */
export class CliContext {
  private database: Database | undefined;
  private repositories: Repositories | undefined;
  private cacheHandle: Cache | undefined;
  private audits: AuditLog | undefined;
  private hasherInstance: SecretHasher | undefined;

  private constructor(readonly config: Config) {}

  static load(): CliContext {
    const { env, file } = readConfigSources();
    // Dev-mode messages go to stderr: stdout is JSON only.
    return new CliContext(withDevSecrets(loadConfig(env, file), env, file, (line) => console.error(line)));
  }

  /** The audit actor: who ran the CLI on this machine. */
  get actor(): AdminActor {
    let user = 'unknown';
    try {
      user = userInfo().username;
    } catch {
      // No passwd entry (some containers): still audit, as "unknown".
    }
    return { actor: `cli:${user}` };
  }

  /** The database, migrated first when database.migrate_on_start is on (as the server would). */
  async db(opts: { migrate?: boolean } = {}): Promise<Database> {
    if (!this.database) {
      this.database = await connectDatabase(this.config);
      if (opts.migrate ?? this.config.database.migrate_on_start) await migrate(this.database);
    }
    return this.database;
  }

  /** The repositories over db(), built as the server builds them. */
  async repos(): Promise<Repositories> {
    if (!this.repositories) {
      const keys = this.config.secrets.encryption_keys;
      if (!keys) throw new Error('ENCRYPTION_KEYS is not configured');
      this.repositories = createRepositories(await this.db(), repositoryOptions(this.config, createKeyring(keys)));
    }
    return this.repositories;
  }

  async cache(): Promise<Cache> {
    this.cacheHandle ??= await connectCache(this.config);
    return this.cacheHandle;
  }

  get hasher(): SecretHasher {
    this.hasherInstance ??= createSecretHasher();
    return this.hasherInstance;
  }

  /** A client store used only to announce changes (no subscription: the CLI caches nothing). */
  async clientStore(): Promise<ClientStore> {
    return new ClientStore((await this.repos()).clients, await this.cache(), cacheValueSigner(this.config), {
      warn: (_obj, msg) => console.error(`gatehouse: ${msg}`),
    });
  }

  /** Audit events go where the server's go (table and config.audit.file). */
  async audit(): Promise<AuditLog> {
    if (!this.audits) {
      this.audits = new AuditLog({
        repository: (await this.repos()).audit,
        file: this.config.audit.file,
        log: {
          warn: (_obj, msg) => console.error(`gatehouse: ${msg}`),
          error: (_obj, msg) => console.error(`gatehouse: ${msg}`),
        },
      });
    }
    return this.audits;
  }

  /** Writes pending audit events, then closes connections; safe to call once at exit. */
  async close(): Promise<void> {
    await this.audits?.close();
    await Promise.allSettled([this.cacheHandle?.close(), this.database?.close()]);
  }
}
