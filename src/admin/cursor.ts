import { z } from 'zod';
import { invalidRequest } from '../oauth/errors.js';

/**
 * Keyset pagination for admin lists: a page is the rows strictly after the last row of the page
 * before, in the list's order (newest first, ties broken by id), so rows added meanwhile never
 * shift or repeat a page the way OFFSET would. The cursor is opaque to callers: base64url JSON of
 * that last row's sort key.
 */
export interface Cursor {
  /** The sort timestamp of the last row seen (ISO 8601). */
  at: string;
  /** Its id (text; audit ids are numbers, compared as numbers by the query). */
  id: string;
}

const cursorShape = z.object({ at: z.iso.datetime({ offset: true }), id: z.string().min(1).max(256) });

export function encodeCursor(at: Date, id: string | number): string {
  return Buffer.from(JSON.stringify({ at: at.toISOString(), id: String(id) })).toString('base64url');
}

function decodeCursor(value: string): Cursor | null {
  try {
    const parsed = cursorShape.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The `cursor` query parameter (opaque; decoded by readCursor). */
export const cursorParam = z.string().min(1).max(512).describe('next_cursor of the previous page');

/** The decoded cursor, undefined for the first page; 400 invalid_request for one we did not issue. */
export function readCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined;
  const cursor = decodeCursor(value);
  if (!cursor) throw invalidRequest('cursor is not a cursor this server issued');
  return cursor;
}

/** `limit` for admin lists. */
export const limitParam = z.coerce.number().int().min(1).max(200).default(50);

/** Rows fetched are limit + 1: the extra one says whether there is a next page. */
export function pageOf<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => { at: Date; id: string | number },
): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  if (rows.length <= limit || !last) return { items, next_cursor: null };
  const key = keyOf(last);
  return { items, next_cursor: encodeCursor(key.at, key.id) };
}

/** The query every cursor-paginated admin list takes; a list adds its filters with `.extend`. */
export const pageQuery = z.object({ cursor: cursorParam.optional(), limit: limitParam });

/** The 200 body of a cursor-paginated admin list: `{ success, <items>: [...], next_cursor }`. */
export function pageResponse<K extends string, T extends z.ZodType>(items: K, item: T, description: string) {
  const shape = { success: z.literal(true), [items]: z.array(item), next_cursor: z.string().nullable() } as {
    success: z.ZodLiteral<true>;
    next_cursor: z.ZodNullable<z.ZodString>;
  } & Record<K, z.ZodArray<T>>;
  return z.object(shape).describe(description);
}
