import { z } from 'zod';

/**
 * The body of an OAuth endpoint, parsed once by the route's schema: form-encoded parameters
 * (RFC 6749 §3.2), each a single string. Only form bodies reach these routes (form-bodies-only)
 * and repeated names are refused before validation (duplicate-parameters), so every value here
 * is one string; a request without a body has none.
 */
export const formParamsSchema = z.record(z.string(), z.string()).nullish();

export type FormParams = Partial<Record<string, string>>;

/**
 * The parameters that count: RFC 6749 §3.1 "Parameters sent without a value MUST be treated as
 * if they were omitted from the request."
 */
export function presentParams(body: FormParams | null | undefined): FormParams {
  const params: FormParams = {};
  for (const [name, value] of Object.entries(body ?? {})) if (value !== undefined && value !== '') params[name] = value;
  return params;
}
