/**
 * Usernames are canonicalised once, the same way at creation and at lookup (product rule "Usernames"):
 * NFKC, then lowercase, and only [a-z0-9_.-] after that, 3–32 characters. NFKC first folds
 * compatibility forms ("ｊｏｈｎ" fullwidth, "ﬁ" ligature) into their plain letters, so two names
 * that look alike on screen cannot both exist.
 */
export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;

/** Names no person may hold: operational words, and the first-party client id (a client_id can never equal a username). */
export const RESERVED_USERNAMES = ['admin', 'root', 'gatehouse', 'api', 'oauth', 'system'] as const;

export function normalizeUsername(input: string): string {
  return input.normalize('NFKC').toLowerCase();
}

/** The canonical form of a username someone typed, or null when it is not a valid username. */
export function canonicalUsername(input: string): string | null {
  const name = normalizeUsername(input.trim());
  return USERNAME_PATTERN.test(name) ? name : null;
}

export function isReservedUsername(name: string, loginClientId: string): boolean {
  const n = normalizeUsername(name);
  return (RESERVED_USERNAMES as readonly string[]).includes(n) || n === normalizeUsername(loginClientId);
}

/**
 * A valid base to derive a new person's username from their email: the local part without any
 * "+tag", canonicalised, accents stripped ("zoë" → "zoe"), other characters outside
 * [a-z0-9_.-] dropped, padded to 3 and cut to 32.
 */
export function usernameBaseFromEmail(email: string | undefined): string {
  const local = (email ?? '').split('@')[0] ?? '';
  let base = normalizeUsername(local.split('+')[0] ?? '')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9_.-]/g, '');
  base = base.replace(/^[._-]+|[._-]+$/g, '');
  if (base.length === 0) base = 'user';
  if (base.length < USERNAME_MIN) base = `${base}${'_'.repeat(USERNAME_MIN - base.length)}`;
  return base.slice(0, USERNAME_MAX);
}

/** base with a numeric suffix, cut so the whole stays within 32 characters: ("john", 2) → "john2". */
export function withSuffix(base: string, n: number): string {
  const suffix = String(n);
  return `${base.slice(0, USERNAME_MAX - suffix.length)}${suffix}`;
}

/**
 * The first candidate not in `taken` and not reserved: base, then base2, base3, … Candidates
 * are checked against the rows that already exist; a concurrent insert that wins the same name
 * is caught by the unique constraint and the caller asks again.
 */
export function nextFreeUsername(base: string, taken: ReadonlySet<string>, loginClientId: string, startAt = 1): string {
  for (let n = startAt; ; n++) {
    const candidate = n === 1 ? base : withSuffix(base, n);
    if (!taken.has(candidate) && !isReservedUsername(candidate, loginClientId)) return candidate;
  }
}
