/** @gatehouse/client: the SDK for apps that sign a person in through Gatehouse. */
export {
  GatehouseClient,
  type GatehouseClientOptions,
  type LoginOptions,
  type LoginPrompt,
  type LogoutOptions,
} from './client.js';
export type { DeviceCode, DeviceLoginOptions } from './device-login.js';
export { GatehouseClientError, type GatehouseClientErrorCode } from './errors.js';
export type { GatehouseEvents, TokenInfo } from './events.js';
export { MemoryTokenStorage, type StoredSession, type TokenStorage } from './storage.js';
export { FileTokenStorage, defaultTokenPath } from './file-storage.js';
export { openSystemBrowser } from './browser.js';
export type { GatehouseUser } from './user.js';
