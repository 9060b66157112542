import { z } from 'zod';
import { ENV_MAP, genericEnvName } from './env-map.js';
import { listSettings } from './settings.js';

export interface SettingDescription {
  /** config.yml key, dotted: `google.proactive_refresh_minutes`. */
  path: string;
  /** Variables that set it, strongest first: the documented name (if any), then the generic form. */
  env: string[];
  /** The value when nothing sets it; undefined = unset. */
  default: unknown;
  description: string;
  /** What a value looks like, e.g. `integer 1–1440`, `boolean`, `one of ES256 | EdDSA`. */
  type: string;
}

/**
 * Every setting with its variables, default, description and type, straight from the config
 * schema, so the configuration reference cannot drift from what the loader accepts.
 */
export function describeSettings(): SettingDescription[] {
  return listSettings().map(({ path, schema }) => {
    const documented = Object.entries(ENV_MAP)
      .filter(([, mapped]) => mapped.join('.') === path.join('.'))
      .map(([name]) => name);
    return {
      path: path.join('.'),
      env: [...documented, genericEnvName(path)],
      default: defaultOf(schema),
      description: metaOf(schema, 'description') ?? '',
      type: metaOf(schema, 'type') ?? typeOf(schema),
    };
  });
}

/** The schema inside the default / optional wrappers, and inside a preprocess step. */
function core(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
      s = s.def.innerType as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      // z.preprocess(fn, target) is a pipe from a transform; value.transform(fn) a pipe into one.
      s = (s.def.in instanceof z.ZodTransform ? s.def.out : s.def.in) as z.ZodType;
    } else {
      return s;
    }
  }
}

function defaultOf(schema: z.ZodType): unknown {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) {
    if (s instanceof z.ZodDefault) return structuredClone<unknown>(s.def.defaultValue);
    s = s.def.innerType as z.ZodType;
  }
  return undefined;
}

/** A `.describe()` / `.meta()` entry from the outermost wrapper that has one. */
function metaOf(schema: z.ZodType, key: 'description' | 'type'): string | undefined {
  let s: z.ZodType | undefined = schema;
  while (s) {
    const value = s.meta()?.[key];
    if (typeof value === 'string') return value;
    s =
      s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional
        ? (s.def.innerType as z.ZodType)
        : undefined;
  }
  return undefined;
}

function typeOf(schema: z.ZodType): string {
  const s = core(schema);
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodEnum) return `one of ${s.options.join(' | ')}`;
  if (s instanceof z.ZodNumber) {
    const range = s.minValue !== null && s.maxValue !== null ? ` ${s.minValue}–${s.maxValue}` : '';
    return `${s.isInt ? 'integer' : 'number'}${range}`;
  }
  if (s instanceof z.ZodArray) return `list of ${typeOf(s.element as z.ZodType)} (comma-separated)`;
  if (s instanceof z.ZodURL) return 'URL';
  return 'string';
}
