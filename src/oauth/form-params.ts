import { invalidRequest } from './errors.js';

/**
 * The parameters of an OAuth request body as single strings (RFC 6749 §3.2: form-encoded; JSON
 * is accepted too for clients of the old service). Repeated names are refused earlier by the
 * duplicate-parameters plugin; anything that is not a string is refused here.
 */
export function readParams(body: unknown): Partial<Record<string, string>> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw invalidRequest('the request body must be form-encoded parameters');
  const params: Partial<Record<string, string>> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') throw invalidRequest(`parameter '${name}' must be a single string`);
    // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted"
    if (value !== '') params[name] = value;
  }
  return params;
}
