/**
 * Polls `attempt` until it returns true and resolves with how long after `since` the first
 * successful attempt *started*. Cross-instance tests assert propagation with it ("refused within
 * 1 s") without counting the time the request itself took (a dummy argon2 verification on a
 * loaded machine can take longer than the propagation being measured).
 */
export async function msUntil(since: number, attempt: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  for (;;) {
    const startedAt = Date.now();
    if (await attempt()) return startedAt - since;
    if (Date.now() - since > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
