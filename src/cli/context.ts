import { userInfo } from 'node:os';
import type { AuditEvent } from '../audit/audit-event.js';
import { AuditLog } from '../audit/audit-log.js';
import type { Cache } from '../cache/cache.js';
import { connectCache } from '../cache/connect.js';
import { cacheValueSigner } from '../cache/value-signer.js';
import { ClientStore } from '../clients/client-store.js';
import type { AdminActor } from '../clients/client-admin.js';
import { withDevSecrets } from '../config/dev-secrets.js';
import { loadConfig, readConfigSources } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createKeyring, type Keyring } from '../crypto/keyring.js';
import { createSecretHasher, type SecretHasher } from '../crypto/secret-hasher.js';
import { createGoogleClient, type GoogleClient } from '../google/client.js';
import { resolveGoogleSettings } from '../google/settings.js';
import { loggerOptions } from '../logging/logger.js';
import { DenyList } from '../oauth/deny-list.js';
import { createSessionManager, type SessionManager } from '../sign-in/session-manager.js';
import type { TokenBroker } from '../vault/broker.js';
import { subjectCacheKey } from '../vault/subject.js';
import { TokenCache } from '../vault/token-cache.js';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { createRepositories, repositoryOptions, type Repositories } from '../repositories/index.js';
import { connectDatabase } from '../storage/connect.js';
import type { Database } from '../storage/database.js';
import { migrate } from '../storage/migrate.js';
import { describeFailure } from '../startup-failure.js';

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
  private logger: Logger | undefined;
  /** The database and cache were opened by someone else, who closes them. */
  private borrowed = false;

  private constructor(readonly config: Config) {}

  static load(): CliContext {
    const { env, file } = readConfigSources();
    // Dev-mode messages go to stderr: stdout is JSON only.
    return new CliContext(withDevSecrets(loadConfig(env, file), env, file, (line) => console.error(line)));
  }

  /**
   * Commands over a database and cache already open (a test runs commands in-process on its own
   * storage this way); close() leaves them open.
   */
  static over(config: Config, storage: { db: Database; cache: Cache }): CliContext {
    const ctx = new CliContext(config);
    ctx.database = storage.db;
    ctx.cacheHandle = storage.cache;
    ctx.borrowed = true;
    return ctx;
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

  /** The encryption keyring (Google tokens, signing keys and webhook secrets are stored encrypted). */
  get keyring(): Keyring {
    const keys = this.config.secrets.encryption_keys;
    if (!keys) throw new Error('ENCRYPTION_KEYS is not configured');
    return createKeyring(keys);
  }

  /** The repositories over db(), built as the server builds them. */
  async repos(): Promise<Repositories> {
    this.repositories ??= createRepositories(await this.db(), repositoryOptions(this.config, this.keyring));
    return this.repositories;
  }

  /** The server's logger options (secrets redacted), warnings only, on stderr: stdout is JSON only. */
  get log(): Logger {
    this.logger ??= pino({ ...(loggerOptions(this.config) as LoggerOptions), level: 'warn' }, pino.destination(2));
    return this.logger;
  }

  get google(): GoogleClient {
    return createGoogleClient(resolveGoogleSettings(this.config));
  }

  /** A deny list used only to announce denials (not started: the CLI checks no token). */
  async denyList(): Promise<DenyList> {
    return new DenyList((await this.repos()).accessDenials, await this.cache());
  }

  /** Sessions as the server keeps them; the CLI only drops cached ones so instances stop serving them. */
  async sessions(): Promise<Pick<SessionManager, 'forget'>> {
    return createSessionManager({
      repos: await this.repos(),
      cache: await this.cache(),
      config: this.config,
      warn: (err) => console.error(`gatehouse: ${describeFailure(err)}`),
    });
  }

  /** Drops cached Google tokens in Redis (and announces it), so running servers stop serving them. */
  async vault(): Promise<Pick<TokenBroker, 'forget'>> {
    const tokenCache = new TokenCache(await this.cache(), this.keyring, this.config.google.refresh_skew_seconds * 1000);
    return {
      async forget(credentialId, ...subjects) {
        await tokenCache.drop(credentialId);
        await tokenCache.dropSubject(
          ...subjects.map((s) => subjectCacheKey(typeof s === 'string' ? { kind: 'person', subject: s } : s)),
        );
      },
    };
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

  /** audit().record, for the services that take a `(event) => void`. */
  async recordAudit(): Promise<(event: AuditEvent) => void> {
    const audit = await this.audit();
    return (event) => audit.record(event);
  }

  /** Writes pending audit events, then closes connections; safe to call once at exit. */
  async close(): Promise<void> {
    await this.audits?.close();
    if (this.borrowed) return;
    await Promise.allSettled([this.cacheHandle?.close(), this.database?.close()]);
  }
}
