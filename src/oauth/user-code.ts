import { randomInt } from 'node:crypto';

/**
 * RFC 8628 §6.1: user codes a person types on another device. Consonants only (no vowels, so no
 * words; no easily confused letters), 8 characters: 20^8 ≈ 2.6·10^10 codes, which together with
 * the 10-minute lifetime and the per-address limit on wrong entries keeps guessing out of reach.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;

/** A new user code, shown as XXXX-XXXX. */
export function generateUserCode(): string {
  let code = '';
  // randomInt draws without modulo bias.
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return formatUserCode(code);
}

export function formatUserCode(normalized: string): string {
  return `${normalized.slice(0, 4)}-${normalized.slice(4)}`;
}

/**
 * RFC 8628 §6.1: "the authorization server should be case-insensitive when comparing user-entered
 * codes" and ignore the dash (and spaces) a person may or may not type. Returns the 8 characters,
 * or null when the input cannot be a user code at all.
 */
export function normalizeUserCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== USER_CODE_LENGTH) return null;
  for (const c of code) if (!USER_CODE_ALPHABET.includes(c)) return null;
  return code;
}
