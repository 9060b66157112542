import type { Row } from './report.js';
import { BARE_GET, BARE_POST } from './scenarios/baseline.js';

/** The ES256 client_credentials ceiling on one core quoted in issue 10: 1/(1/57k + 1/18k). */
export const CLIENT_CREDENTIALS_CEILING = 14_000;

/**
 * Issue 10's targets, judged from this run's rows ("not measured" when a row is missing).
 * `signRate` is jose's ES256 signatures per second measured during this run: the ceiling is
 * also judged the issue's way with this run's own figures, since this machine's speed varies
 * with its neighbours (bare Fastify GET was 68k req/s one morning and 20k that afternoon).
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
  const cc = by.get('gh.client_credentials');
  judge('client_credentials vs oidc-provider', cc?.vsOidcProvider, 2.0, '×');
  judge(
    'client_credentials vs single-core ceiling (14k)',
    cc?.rps !== undefined ? cc.rps / CLIENT_CREDENTIALS_CEILING : undefined,
    0.8,
    '',
  );
  const post = by.get(BARE_POST)?.rps;
  const ceiling = post && signRate ? 1 / (1 / post + 1 / signRate) : undefined;
  judge(
    `client_credentials vs this run's ceiling (1/(1/${post?.toFixed(0) ?? '?'} + 1/${signRate?.toFixed(0) ?? '?'}) = ${ceiling?.toFixed(0) ?? '?'})`,
    cc?.rps !== undefined && ceiling ? cc.rps / ceiling : undefined,
    0.8,
    '',
  );
  judge('client_credentials p99', cc?.p99, 20, ' ms', false);
  judge('introspection vs oidc-provider', by.get('gh.introspection')?.vsOidcProvider, 2.0, '×');
  judge('refresh_token vs oidc-provider', by.get('gh.refresh_token')?.vsOidcProvider, 1.0, '×');
  const bareGet = by.get(BARE_GET)?.rps;
  for (const id of ['gh.user_info', 'gh.broker']) {
    const r = by.get(id);
    judge(`${id} vs bare Fastify GET`, r?.rps !== undefined && bareGet ? r.rps / bareGet : undefined, 0.35, '×');
  }
  return out;
}
