import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCAL_ENTRY_MAX_MS, LOCAL_MUTABLE_SUBJECT_MS, LocalTokenCache } from '../../../src/vault/local-token-cache.js';
import type { HeldToken } from '../../../src/vault/held-token.js';

const SKEW_MS = 120_000;
const USER_ID = '6f1c0a2e-1b2c-4d3e-8f90-0123456789ab';
const NOW = Date.UTC(2026, 0, 1);

function token(expiresInMs: number): HeldToken {
  return {
    accessToken: 'ya29.local',
    expiresAt: new Date(Date.now() + expiresInMs),
    scope: 'openid',
    subject: USER_ID,
  };
}

describe('LocalTokenCache', () => {
  let epoch: number | null;
  let local: LocalTokenCache;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    epoch = 0;
    local = new LocalTokenCache({ subscriptionEpoch: () => epoch }, SKEW_MS);
    local.listen();
  });
  afterEach(() => vi.useRealTimers());

  it('serves nothing before it listens to invalidations', () => {
    const quiet = new LocalTokenCache({ subscriptionEpoch: () => 0 }, SKEW_MS);
    quiet.fillToken(quiet.mark(), 'c1', token(3_600_000));
    expect(quiet.token('c1', Date.now())).toBeUndefined();
  });

  it('keeps a token at most 30 s, and never into the refresh window', () => {
    local.fillToken(local.mark(), 'long', token(3_600_000));
    local.fillToken(local.mark(), 'short', token(SKEW_MS + 10_000));
    local.fillToken(local.mark(), 'due', token(SKEW_MS - 1));
    expect(local.token('due', Date.now())).toBeUndefined();
    expect(local.token('short', Date.now() + 9_999)).toBeDefined();
    expect(local.token('short', Date.now() + 10_000)).toBeUndefined();
    expect(local.token('long', Date.now() + LOCAL_ENTRY_MAX_MS - 1)).toBeDefined();
    expect(local.token('long', Date.now() + LOCAL_ENTRY_MAX_MS)).toBeUndefined();
  });

  it('keeps a user id mapping 30 s and an email or username mapping 5 s', () => {
    local.fillSubject(local.mark(), USER_ID, 'c1');
    local.fillSubject(local.mark(), 'ada@example.com', 'c1');
    expect(local.credentialFor('ada@example.com', NOW + LOCAL_MUTABLE_SUBJECT_MS - 1)).toBe('c1');
    expect(local.credentialFor('ada@example.com', NOW + LOCAL_MUTABLE_SUBJECT_MS)).toBeUndefined();
    expect(local.credentialFor(USER_ID, NOW + LOCAL_ENTRY_MAX_MS - 1)).toBe('c1');
  });

  it('drops a credential with every subject that maps to it', () => {
    local.fillToken(local.mark(), 'c1', token(3_600_000));
    local.fillSubject(local.mark(), USER_ID, 'c1');
    local.fillSubject(local.mark(), 'ada', 'c1');
    local.fillSubject(local.mark(), 'bob', 'c2');
    local.dropCredential('c1');
    expect(local.token('c1', Date.now())).toBeUndefined();
    expect(local.credentialFor(USER_ID, Date.now())).toBeUndefined();
    expect(local.credentialFor('ada', Date.now())).toBeUndefined();
    expect(local.credentialFor('bob', Date.now())).toBe('c2');
  });

  it('does not keep a copy read before an invalidation that arrived during the read', () => {
    const mark = local.mark();
    local.dropCredential('c1'); // the message overtakes the shared-cache reply
    local.fillToken(mark, 'c1', token(3_600_000));
    local.fillSubject(mark, USER_ID, 'c1');
    expect(local.token('c1', Date.now())).toBeUndefined();
    expect(local.credentialFor(USER_ID, Date.now())).toBeUndefined();
  });

  it('serves nothing while the subscriber is down, and forgets everything when it reconnects', () => {
    local.fillToken(local.mark(), 'c1', token(3_600_000));
    epoch = null;
    expect(local.token('c1', Date.now())).toBeUndefined();
    local.fillToken(local.mark(), 'c2', token(3_600_000));
    epoch = 1;
    expect(local.token('c1', Date.now())).toBeUndefined();
    expect(local.token('c2', Date.now())).toBeUndefined();
    const mark = local.mark();
    epoch = 2; // dropped and reconnected during a read
    local.fillToken(mark, 'c3', token(3_600_000));
    expect(local.token('c3', Date.now())).toBeUndefined();
  });
});
