import { expect } from 'vitest';
import { Browser, readForm } from './browser.js';
import { signInWithGoogle } from './google.js';

export interface LoopbackVisit {
  /** The redirect Gatehouse sent the browser to (the SDK's loopback URL with code, state, iss). */
  redirect: URL;
  /** The loopback page's answer. */
  status: number;
  text: string;
}

export interface ScriptedBrowser {
  /** Pass as the client's openBrowser. */
  open: (url: string) => void;
  /** Every authorization URL the client opened. */
  opened: string[];
  /** Settles when the last opened flow reached the loopback page (or failed on the way). */
  visit(): Promise<LoopbackVisit>;
}

/**
 * The person at the browser, scripted: follows the authorize redirect to /login, signs in at the
 * mock Google, approves the consent page (skipped when consent is remembered), then loads the
 * SDK's loopback URL with plain fetch. `tamper` edits that last URL (an attacker's callback).
 * open() does not wait for the flow, like a real opener: the flow finishes while login() waits.
 */
export function scriptedBrowser(
  appUrl: string,
  email: string,
  opts: { tamper?: (url: URL) => void } = {},
): ScriptedBrowser {
  const opened: string[] = [];
  let last: Promise<LoopbackVisit> | undefined;
  return {
    opened,
    open(url) {
      opened.push(url);
      last = drive(url);
      last.catch(() => undefined);
    },
    visit() {
      if (!last) throw new Error('the client never opened the browser');
      return last;
    },
  };

  async function drive(authorizeUrl: string): Promise<LoopbackVisit> {
    const browser = new Browser();
    const first = await browser.get(authorizeUrl);
    expect(first.status, first.text).toBe(302);
    const returnTo = new URL(first.location!).searchParams.get('return_to')!;
    const steps = await signInWithGoogle(browser, appUrl, email, { returnTo });
    const back = await browser.get(steps.callback.location!);
    let final = back.location;
    if (back.status === 200) {
      const form = readForm(back.text, appUrl);
      const approved = await browser.post(form.action, { ...form.fields, decision: 'approve' });
      expect(approved.status, approved.text).toBe(303);
      final = approved.location;
    }
    const redirect = new URL(final!);
    const target = new URL(redirect);
    opts.tamper?.(target);
    const res = await fetch(target);
    return { redirect, status: res.status, text: await res.text() };
  }
}
