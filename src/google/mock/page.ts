import { html } from '../../views/html.js';
import { layout } from '../../views/layout.js';

/** Parameters carried from the authorization request into the form (and back out). */
export const CARRIED_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'access_type',
  'prompt',
  'include_granted_scopes',
  'login_hint',
] as const;

export function authorizePage(action: string, params: Record<string, string | undefined>): string {
  const hidden = CARRIED_PARAMS.filter((k) => params[k] !== undefined).map(
    (k) => html`<input type="hidden" name="${k}" value="${params[k]}">`,
  );
  const scopes = (params.scope ?? '').split(' ').filter(Boolean);
  return layout(
    'Mock Google sign-in',
    html`<p class="banner"><strong>Mock Google</strong> — development only. No password; any email signs in.</p>
<h1>Sign in</h1>
<p class="muted">to continue to <strong>${params.client_id}</strong></p>
<form method="post" action="${action}">
${hidden}
<label for="email">Email</label>
<input id="email" type="email" name="email" required autocomplete="email" value="${params.login_hint ?? ''}">
<p class="muted">The app asks for:</p>
<ul class="scopes">${scopes.map((s) => html`<li>${s}</li>`)}</ul>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>
</form>`,
  );
}

export function authorizeErrorPage(error: string, description: string): string {
  return layout(
    'Mock Google error',
    html`<p class="banner"><strong>Mock Google</strong></p>
<h1 class="error">Access blocked: ${error}</h1>
<p>${description}</p>`,
  );
}
