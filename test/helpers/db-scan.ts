import { expect } from 'vitest';
import type { Database } from '../../src/storage/database.js';

/**
 * Every place in the database where one of `needles` appears: each text-like column of each
 * table (text, varchar, json, jsonb, arrays), compared as text. For "no plaintext secret is
 * stored" assertions.
 */
export async function findInDatabase(db: Database, needles: readonly string[]): Promise<string[]> {
  const columns = await db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')`,
  );
  expect(columns.rows.length).toBeGreaterThan(10);
  const hits: string[] = [];
  for (const { table_name, column_name } of columns.rows) {
    const rows = await db.query<{ v: string | null }>(`SELECT "${column_name}"::text AS v FROM "${table_name}"`);
    for (const { v } of rows.rows) {
      for (const needle of needles) if (v && v.includes(needle)) hits.push(`${table_name}.${column_name}`);
    }
  }
  return hits;
}
