import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { withoutSecrets } from '../logging/redaction.js';
import { AUDIT_ROWS_PER_INSERT, type AuditRepository } from '../repositories/audit.js';
import type { AuditEvent, AuditRecord } from './audit-event.js';

export const AUDIT_FLUSH_INTERVAL_MS = 250;
export const AUDIT_BATCH_SIZE = 100;
/** Beyond this many unwritten events (database down for a long time) the oldest are dropped. */
export const AUDIT_MAX_PENDING = 100_000;
/**
 * How long the audit file stays open between writes before it is opened again by name, so a
 * file moved away (logrotate without copytruncate) is followed within this long; until then
 * events still land, complete, at the end of the moved file.
 */
export const AUDIT_FILE_REOPEN_MS = 1000;

interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AuditLogOptions {
  /** The audit_events table: `app.repos.audit` (createRepositories). */
  repository: Pick<AuditRepository, 'insertMany'>;
  /** JSON-lines file (config.audit.file); null writes the table only. */
  file: string | null;
  log: Logger;
  intervalMs?: number;
  batchSize?: number;
  maxPending?: number;
  fileReopenMs?: number;
}

interface Pending {
  record: AuditRecord;
  line: string;
  inFile: boolean;
  inDb: boolean;
}

/**
 * An event whose table row the caller writes in its own statement, so the action and its event
 * commit together (one round trip and one commit instead of two). Nothing is queued until
 * `stored()`: an event whose statement did not write it is simply dropped.
 */
export interface StagedAuditEvent {
  /** What the caller's statement inserts into audit_events (as AuditRepository.insertMany would). */
  readonly record: AuditRecord;
  /** The row is committed: queues the file line, which the recording request's response waits for. */
  stored(): void;
}

/**
 * Auth and admin events: `record()` only queues; the request that recorded an event waits for
 * `flush()` before its response is sent (plugins/audit.ts), so concurrent requests share one
 * multi-row INSERT (group commit) and no response reports an action whose event a crash could
 * still lose. A timer (and a full batch) writes events recorded outside requests. Each write
 * is one multi-row INSERT and one append to the JSON-lines file. An event can also be `stage`d:
 * its row is written by the caller's own statement (the refresh rotation's), in the same
 * transaction as the action, and only its file line goes through the queue.
 * A write that fails is retried on the next flush, for that destination only, so an event is
 * never written twice to the same place. `close()` flushes everything that is left.
 */
export class AuditLog {
  private queue: Pending[] = [];
  /** Events recorded so far; a request compares it before and after to know it recorded one. */
  recorded = 0;
  private tail: Promise<void> = Promise.resolve();
  /** A flush queued behind the running one, not started yet: it will write whatever is queued then. */
  private waiting: Promise<void> | undefined;
  private flushPending = false;
  private timer: NodeJS.Timeout | undefined;
  /**
   * The audit file's descriptor, kept open in append mode and written synchronously. There is
   * one write per flush, i.e. per group of concurrent token responses: appending a few kB to the
   * page cache takes microseconds, while fs/promises' appendFile (open, write, close, each on a
   * thread-pool worker that wakes on the server's core and switches back) cost more CPU than
   * the rest of the flush, the multi-row INSERT included.
   */
  private fd: number | undefined;
  private fdOpenedAt = 0;
  private readonly repository: Pick<AuditRepository, 'insertMany'>;
  private readonly file: string | null;
  private readonly batchSize: number;
  private readonly maxPending: number;
  private readonly fileReopenMs: number;

  constructor(private readonly opts: AuditLogOptions) {
    this.repository = opts.repository;
    this.file = opts.file ? resolve(opts.file) : null;
    this.batchSize = opts.batchSize ?? AUDIT_BATCH_SIZE;
    this.maxPending = opts.maxPending ?? AUDIT_MAX_PENDING;
    this.fileReopenMs = opts.fileReopenMs ?? AUDIT_FILE_REOPEN_MS;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.intervalMs ?? AUDIT_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Events queued and not yet written to both the table and the file. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues one event. Never throws and never waits: callers are requests on the hot path. */
  record(event: AuditEvent): void {
    try {
      this.enqueue(toPending(event, this.file === null, false));
    } catch (err) {
      this.opts.log.error({ err, event: event?.event }, 'audit event could not be queued');
    }
  }

  /**
   * Prepares an event whose table row the caller's own statement writes (see StagedAuditEvent);
   * its file line is queued by `stored()`. Throws only what serialising the details throws.
   */
  stage(event: AuditEvent): StagedAuditEvent {
    const pending = toPending(event, this.file === null, true);
    // Without a file the row was the only destination: nothing is left to write or wait for.
    return {
      record: pending.record,
      stored: () => {
        if (!pending.inFile) this.enqueue(pending);
      },
    };
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    this.recorded++;
    this.trim();
    if (this.queue.length >= this.batchSize && !this.flushPending) {
      this.flushPending = true;
      void this.flush().finally(() => {
        this.flushPending = false;
      });
    }
  }

  /**
   * Writes everything queued so far. Flushes run one at a time, and callers arriving while one
   * runs share the single next one (group commit: one INSERT for all of them, not one each).
   * Never rejects.
   */
  flush(): Promise<void> {
    if (this.waiting) return this.waiting;
    // A flush starts one event-loop turn later, so the requests handled in the same turn join it:
    // with a fast database (or the embedded one) and a synchronous file append, a flush that
    // started at once would finish before the next request recorded, one INSERT each.
    const run = this.tail.then(turnOfTheEventLoop).then(() => {
      // From here on, events recorded later need a flush of their own.
      this.waiting = undefined;
      return this.writeQueued();
    });
    this.waiting = run;
    this.tail = run;
    return run;
  }

  /** Stops the timer and writes what is left; one retry if a destination failed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    if (this.queue.length > 0) await this.flush();
    if (this.queue.length > 0) {
      this.opts.log.error({ unwritten: this.queue.length }, 'audit events could not be written before shutdown');
    }
    this.closeFile();
  }

  private async writeQueued(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.writeFile(batch.filter((p) => !p.inFile));
    const forDb = batch.filter((p) => !p.inDb);
    for (let i = 0; i < forDb.length; i += AUDIT_ROWS_PER_INSERT) {
      const chunk = forDb.slice(i, i + AUDIT_ROWS_PER_INSERT);
      try {
        await this.repository.insertMany(chunk.map((p) => p.record));
        for (const p of chunk) p.inDb = true;
      } catch (err) {
        this.opts.log.warn(
          { err, events: forDb.length - i },
          'audit events not written to the database; retrying on the next flush',
        );
        break;
      }
    }
    const left = batch.filter((p) => !p.inFile || !p.inDb);
    if (left.length > 0) {
      this.queue = [...left, ...this.queue];
      this.trim();
    }
  }

  private writeFile(entries: Pending[]): void {
    if (!this.file || entries.length === 0) return;
    try {
      const fd = this.openFile(this.file);
      const data = Buffer.from(entries.map((p) => p.line).join(''));
      // write(2) on a regular file writes everything unless the disk is full (which throws).
      let done = 0;
      for (let tries = 0; done < data.length && tries < 100; tries++) done += writeSync(fd, data, done);
      if (done < data.length) throw new Error(`short write to the audit file (${done} of ${data.length} bytes)`);
      for (const p of entries) p.inFile = true;
    } catch (err) {
      // Opened afresh (directory and all) on the next flush.
      this.closeFile();
      this.opts.log.warn(
        { err, events: entries.length, file: this.file },
        'audit events not written to the file; retrying on the next flush',
      );
    }
  }

  /** The open audit file, opened again by name once it has been open fileReopenMs. */
  private openFile(file: string): number {
    if (this.fd !== undefined && Date.now() - this.fdOpenedAt < this.fileReopenMs) return this.fd;
    this.closeFile();
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'a', 0o640);
    this.fdOpenedAt = Date.now();
    return this.fd;
  }

  private closeFile(): void {
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
    } catch {
      // already closed or never valid: nothing left to release
    }
  }

  /** Bounded memory while a destination is down: drop the oldest, and say so. */
  private trim(): void {
    const excess = this.queue.length - this.maxPending;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.opts.log.error({ dropped: excess }, 'audit queue full; oldest unwritten events dropped');
  }
}

/** The event as stored (time and scrubbed details serialised once) and as its file line. */
function toPending(event: AuditEvent, inFile: boolean, inDb: boolean): Pending {
  const record: AuditRecord = {
    occurred_at: new Date().toISOString(),
    event: event.event,
    actor: event.actor ?? null,
    subject: event.subject ?? null,
    client_id: event.client_id ?? null,
    ip: event.ip ?? null,
    details_json: JSON.stringify(withoutSecrets(event.details ?? {})),
  };
  const { occurred_at: time, details_json: details, ...who } = record;
  const line = `${JSON.stringify({ time, ...who }).slice(0, -1)},"details":${details}}\n`;
  return { record, line, inFile, inDb };
}

function turnOfTheEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
