// oidc-provider ships JavaScript without types; the bench peer uses it untyped.
declare module 'oidc-provider';
