import { z } from 'zod';

export const DEFAULT_RETURN_TO = '/account';

/**
 * Where to send the browser after sign-in: only a path on this origin (RFC 9700 §4.11, open
 * redirectors), in printable ASCII. It must start with exactly one "/" — "//evil.example" and "/\evil.example" are
 * read by browsers as another host — and may not hold backslashes, whitespace or control
 * characters, which URL parsers strip or turn into "/" (WHATWG URL: "\" is "/" in http URLs;
 * tab and newline are removed).
 */
export function isSafeReturnTo(value: string): boolean {
  if (value.length === 0 || value.length > 2048) return false;
  if (!value.startsWith('/') || value.startsWith('//')) return false;
  if (/[\\\s\u0000-\u001f\u007f]/.test(value)) return false;
  // Printable ASCII only: it ends up in a Location header, and Node refuses to write any other
  // character there (ERR_INVALID_CHAR), which would fail the sign-in after Google. A path with
  // other characters arrives percent-encoded from a browser anyway (RFC 3986 §2.1).
  if (!/^[\x21-\x7e]+$/.test(value)) return false;
  // Belt and braces: resolved against any base, it must stay on that base's origin.
  const base = 'https://gatehouse.invalid';
  try {
    return new URL(value, base).origin === base;
  } catch {
    return false;
  }
}

export const returnToSchema = z
  .string()
  .refine(isSafeReturnTo, 'must be a path on this site starting with a single "/"');
