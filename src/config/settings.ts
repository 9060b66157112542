import { z } from 'zod';
import { configSchema } from './schema.js';

/** One leaf of the config schema: a key an operator sets in config.yml or through the environment. */
export interface Setting {
  /** Keys from the root, e.g. ['google', 'proactive_refresh_minutes']. */
  path: readonly string[];
  /** The field's schema as written (with its default, optional and description wrappers). */
  schema: z.ZodType;
}

let settings: readonly Setting[] | undefined;

/** Every setting in schema order; sections are walked, never listed by hand, so none is missed. */
export function listSettings(): readonly Setting[] {
  settings ??= collect(configSchema, []);
  return settings;
}

function collect(schema: z.ZodType, path: string[]): Setting[] {
  const section = sectionOf(schema);
  if (!section) return [{ path, schema }];
  return Object.entries(section.shape as Record<string, z.ZodType>).flatMap(([key, child]) =>
    collect(child, [...path, key]),
  );
}

/** The object a section field holds under its `.prefault({})` / `.optional()`, or undefined for a leaf. */
function sectionOf(schema: z.ZodType): z.ZodObject | undefined {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
    s = s.def.innerType as z.ZodType;
  }
  return s instanceof z.ZodObject ? s : undefined;
}
