import { createHmac } from 'node:crypto';

/**
 * `Gatehouse-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (Stripe's scheme):
 * the timestamp is signed with the body, so a receiver can refuse old replays.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
