/**
 * One line for a failure at start-up (or of a CLI command): the error's message followed by
 * every `cause` below it, so "database unavailable" reads "database unavailable: password
 * authentication failed for user "gatehouse"" instead of hiding what the driver said. An
 * AggregateError (every address of a host refused) contributes each inner message.
 */
export function describeFailure(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== undefined && current !== null && !seen.has(current) && parts.length < 10) {
    seen.add(current);
    const text = ownMessage(current);
    if (text && !parts.some((p) => p === text || p.endsWith(`: ${text}`))) parts.push(text);
    current = (current as { cause?: unknown }).cause;
  }
  return (parts.join(': ') || 'unknown error').replace(/\s*\n\s*/g, ' ');
}

function ownMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const inner =
    err instanceof AggregateError ? [...new Set(err.errors.map(ownMessage).filter(Boolean))].join('; ') : '';
  const own = err.message || (err as { code?: string }).code || '';
  if (own && inner) return `${own} (${inner})`;
  return own || inner || err.name;
}
