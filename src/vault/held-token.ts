/** A Google access token as the broker hands it out. */
export interface HeldToken {
  accessToken: string;
  expiresAt: Date;
  scope: string;
  /** Canonical subject: user id or connection id. */
  subject: string;
}
