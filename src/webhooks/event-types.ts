/** Every event a webhook can subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'connection.created',
  'connection.reauth_required',
  'connection.recovered',
  'connection.deleted',
  'user.google_reauth_required',
  'user.google_recovered',
  'user.deleted',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an event's `data` holds: the connection or the person, and why for *reauth_required. */
export type WebhookEventData = ({ connection_id: string } | { user_id: string }) & { reason?: string };
