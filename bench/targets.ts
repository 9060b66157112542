import type { Row } from './report.js';
import { BARE_GET, BARE_POST } from './scenarios/baseline.js';

/** Postgres CPU per refresh before issue 27 (≈ 8.2 CPU-s per 10 s at ≈ 3,070 refreshes/s). */
export const POSTGRES_US_PER_REFRESH_BEFORE = 270;

/**
 * Issue 27's targets, judged from this run's rows alone ("not measured" when a row is missing).
 * `signRate` is jose's ES256 signatures per second measured during this run: the
 * client_credentials ceiling on one core is 1/(1/bare POST + 1/signRate) with this run's own
 * figures, since this machine's speed varies with its neighbours.
 */
export function judgeTargets(rows: Row[], signRate?: number): string[] {
  const by = new Map(rows.filter((r) => r.status === 'ok').map((r) => [r.id, r]));
  const out: string[] = [];
  const judge = (label: string, value: number | undefined, goal: number, unit: string, higherIsBetter = true) => {
    if (value === undefined || Number.isNaN(value)) return out.push(`${label}: not measured`);
    const met = higherIsBetter ? value >= goal : value <= goal;
    out.push(
      `${met ? 'MET' : 'MISSED'} — ${label}: ${value.toFixed(2)}${unit} (target ${higherIsBetter ? '≥' : '≤'} ${goal}${unit})`,
    );
  };
  const refresh = by.get('gh.refresh_token');
  judge('refresh_token (Postgres) vs oidc-provider refresh (in memory)', refresh?.vsOidcProvider, 1.5, '×');
  judge(
    `Postgres CPU per refresh (was ≈ ${POSTGRES_US_PER_REFRESH_BEFORE} µs)`,
    refresh?.dbCpuUs,
    POSTGRES_US_PER_REFRESH_BEFORE / 2,
    ' µs',
    false,
  );
  const cc = by.get('gh.client_credentials');
  judge('client_credentials vs oidc-provider ES256 client_credentials', cc?.vsOidcProvider, 2.0, '×');
  const post = by.get(BARE_POST)?.rps;
  const ceiling = post && signRate ? 1 / (1 / post + 1 / signRate) : undefined;
  judge(
    `client_credentials vs this run's one-core ceiling (1/(1/${post?.toFixed(0) ?? '?'} bare POST + 1/${signRate?.toFixed(0) ?? '?'} ES256 signs) = ${ceiling?.toFixed(0) ?? '?'} req/s)`,
    cc?.rps !== undefined && ceiling ? (cc.rps / ceiling) * 100 : undefined,
    50,
    ' %',
  );
  judge('introspection vs oidc-provider', by.get('gh.introspection')?.vsOidcProvider, 2.0, '×');
  const bareGet = by.get(BARE_GET)?.rps;
  for (const id of ['gh.user_info', 'gh.broker']) {
    const r = by.get(id);
    judge(`${id} vs bare Fastify GET`, r?.rps !== undefined && bareGet ? r.rps / bareGet : undefined, 0.35, '×');
  }
  return out;
}
