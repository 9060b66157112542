import { z } from 'zod';

/**
 * What Google answers, checked before use: a 2xx body of another shape is invalid_response,
 * never a TypeError deeper in. Google sends some numbers as strings (tokeninfo), hence coerce.
 */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
  token_type: z.string().regex(/^bearer$/i),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
  id_token: z.string().min(1).optional(),
});
export type GoogleTokenResponse = z.infer<typeof tokenResponseSchema>;

const booleanish = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** The profile claims userinfo and the ID token share (both optional: they depend on the scopes). */
const profileClaims = {
  email: z.string().optional(),
  email_verified: booleanish.optional(),
  name: z.string().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  picture: z.string().optional(),
};

export const userinfoSchema = z.object({ sub: z.string().min(1), ...profileClaims });
export type GoogleUserinfo = z.infer<typeof userinfoSchema>;

/** https://oauth2.googleapis.com/tokeninfo?access_token=… (numbers arrive as strings). */
export const tokeninfoSchema = z
  .object({
    aud: z.string().optional(),
    azp: z.string().optional(),
    sub: z.string().optional(),
    scope: z.string().optional(),
    exp: z.coerce.number().optional(),
    expires_in: z.coerce.number().optional(),
    email: z.string().optional(),
    email_verified: booleanish.optional(),
  })
  .loose();
export type GoogleTokeninfo = z.infer<typeof tokeninfoSchema>;

export const idTokenClaimsSchema = z.object({
  iss: z.string(),
  sub: z.string().min(1),
  aud: z.union([z.string(), z.array(z.string())]),
  azp: z.string().optional(),
  exp: z.number(),
  iat: z.number(),
  nonce: z.string().optional(),
  ...profileClaims,
  hd: z.string().optional(),
});
export type GoogleIdTokenClaims = z.infer<typeof idTokenClaimsSchema>;
