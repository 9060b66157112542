import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_NAMES } from '../../../src/audit/audit-event.js';

// tsc already rejects recording a name that is not in AUDIT_EVENT_NAMES (AuditEvent.event is the
// union). This covers the other direction: a listed name that nothing records any more.
const LIST_FILE = join('src', 'audit', 'audit-event.ts');

/** The `event: '…'` literals of every source file but the list itself: the names the code records. */
function recordedNames(): Set<string> {
  const files = readdirSync('src', { recursive: true, encoding: 'utf8' })
    .map((file) => join('src', file))
    .filter((file) => file.endsWith('.ts') && file !== LIST_FILE);
  const names = files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\bevent: '([a-z_]+)'/g)].map((m) => m[1]!),
  );
  return new Set(names);
}

describe('AUDIT_EVENT_NAMES', () => {
  it('lists only names that some source file records', () => {
    const recorded = recordedNames();
    for (const name of AUDIT_EVENT_NAMES) expect(recorded, `${name} is listed but never recorded`).toContain(name);
  });

  it('lists each name once', () => {
    expect(new Set(AUDIT_EVENT_NAMES).size).toBe(AUDIT_EVENT_NAMES.length);
  });
});
