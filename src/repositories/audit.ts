import type { Queryable } from '../storage/database.js';
import type { AuditRecord } from '../audit/audit-event.js';

const COLUMNS = 7;
/** Rows per INSERT: 7 parameters each stays far below Postgres's 65535-parameter limit. */
export const AUDIT_ROWS_PER_INSERT = 1000;

export const auditRepository = {
  /** One multi-row INSERT per AUDIT_ROWS_PER_INSERT records; all of them or (per statement) none. */
  async insertMany(db: Queryable, records: readonly AuditRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += AUDIT_ROWS_PER_INSERT) {
      const chunk = records.slice(i, i + AUDIT_ROWS_PER_INSERT);
      const params: unknown[] = [];
      const values = chunk.map((r, row) => {
        params.push(r.occurred_at, r.event, r.actor ?? null, r.subject ?? null, r.client_id ?? null, r.ip ?? null, JSON.stringify(r.details));
        const p = (col: number) => `$${row * COLUMNS + col}`;
        return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}::jsonb)`;
      });
      await db.query(
        `INSERT INTO audit_events (occurred_at, event, actor, subject, client_id, ip, details) VALUES ${values.join(', ')}`,
        params,
      );
    }
  },
};
