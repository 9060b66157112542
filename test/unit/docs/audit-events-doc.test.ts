import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENT_NAMES } from '../../../src/audit/audit-event.js';

const DOC = 'docs/reference/audit-events.md';

/** The event names in the first column of the reference table: rows that start with "| `name` |". */
function documentedNames(): string[] {
  return [...readFileSync(DOC, 'utf8').matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1] ?? '');
}

describe('audit events reference', () => {
  it('lists exactly the names in AUDIT_EVENT_NAMES, each once', () => {
    const documented = documentedNames();
    expect(new Set(documented).size, 'a name is listed twice').toBe(documented.length);
    expect([...documented].sort()).toEqual([...AUDIT_EVENT_NAMES].sort());
  });
});
