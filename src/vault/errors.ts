import { conflict, notFound, upstreamUnavailable, type ApiError } from '../oauth/errors.js';
import type { GoogleError } from '../google/errors.js';
import type { GoogleCredential } from '../repositories/google-credentials.js';

// The broker's answers, worded once (product rule "Broker").
export const noSuchSubject = (): ApiError => notFound('no Google credential is held for this subject');
export const reauthRequired = (): ApiError =>
  conflict(
    'the Google grant for this subject is no longer valid; the person must connect their Google account again',
    'reauth_required',
  );
export const googleUnavailable = (): ApiError =>
  upstreamUnavailable('Google did not answer in time; try again shortly');

/** The credential row vanished between lookup and use (deleted, or a stale subject mapping). */
export class CredentialGone extends Error {
  override name = 'CredentialGone';
}

/** Google could not refresh in time; `held` is the latest row seen, for the held-token rule. */
export class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';
  constructor(
    readonly held: GoogleCredential,
    readonly googleError?: GoogleError,
  ) {
    super(googleError ? googleError.message : 'timed out waiting for another refresh');
  }
}
