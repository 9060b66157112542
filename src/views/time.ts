import { html, type SafeHtml } from './html.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "4 Dec 2026, 21:30 UTC": a date a person reads, one short line that does not wrap on a phone. */
export function readableDate(date: Date): string {
  const hh = String(date.getUTCHours()).padStart(2, '0');
  const mm = String(date.getUTCMinutes()).padStart(2, '0');
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** "5 minutes ago", "in 3 days", "just now". */
export function relativeTime(date: Date, now = Date.now()): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86_400, 'day'],
    [30 * 86_400, 'month'],
    [365 * 86_400, 'year'],
  ];
  let unit = units[0]!;
  for (const u of units) if (abs >= u[0] * 0.75 || u === units[0]) unit = u;
  const n = Math.max(1, Math.round(abs / unit[0]));
  const words = `${n} ${unit[1]}${n === 1 ? '' : 's'}`;
  return seconds < 0 ? `${words} ago` : `in ${words}`;
}

/** A <time> element: words for people, the exact instant in datetime and the tooltip. */
export function timeTag(date: Date | string | null | undefined, style: 'date' | 'relative' = 'date'): SafeHtml {
  if (date === null || date === undefined) return html`—`;
  const d = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(d.getTime())) return html`—`;
  const text = style === 'date' ? readableDate(d) : relativeTime(d);
  return html`<time datetime="${d.toISOString()}" title="${readableDate(d)}">${text}</time>`;
}
