import { EventEmitter } from 'node:events';
import type { GatehouseUser } from './user.js';

/** What a `tokens` listener learns: never the tokens themselves (getAccessToken() gives one). */
export interface TokenInfo {
  /** When the access token expires, if the server said (expires_in). */
  expiresAt: Date | undefined;
  scope: string[];
}

export interface GatehouseEvents {
  login: [user: GatehouseUser];
  logout: [];
  tokens: [info: TokenInfo];
}

type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A typed face on EventEmitter. Two promises the SDK makes:
 * - a listener runs at most once per emitted event, even if it was added twice (the old
 *   OAuthManager called on_logout twice when it was registered twice);
 * - a listener that throws cannot break the SDK's own work (the session is already stored when
 *   `login` fires): its error is reported on the next tick, like an EventTarget listener's.
 */
export class TypedEvents<E extends { [K in keyof E]: unknown[] }> {
  private readonly emitter = new EventEmitter();
  private readonly wrapped = new Map<keyof E, Map<Listener<never>, Listener<never>>>();

  constructor(
    private readonly onListenerError: (err: unknown) => void = (err) =>
      process.nextTick(() => {
        throw err;
      }),
  ) {}

  /** Adds a listener (a second add of the same function is ignored); returns its remover. */
  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    return this.add(event, listener, false);
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    return this.add(event, listener, true);
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): void {
    const byListener = this.wrapped.get(event);
    const wrapper = byListener?.get(listener);
    if (!wrapper) return;
    byListener!.delete(listener);
    this.emitter.off(event, wrapper as Listener<unknown[]>);
  }

  emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    this.emitter.emit(event, ...args);
  }

  private add<K extends keyof E & string>(event: K, listener: Listener<E[K]>, once: boolean): () => void {
    let byListener = this.wrapped.get(event);
    if (!byListener) this.wrapped.set(event, (byListener = new Map<Listener<never>, Listener<never>>()));
    if (!byListener.has(listener)) {
      const wrapper = (...args: E[K]) => {
        if (once) this.off(event, listener);
        try {
          listener(...args);
        } catch (err) {
          this.onListenerError(err);
        }
      };
      byListener.set(listener, wrapper);
      this.emitter.on(event, wrapper as Listener<unknown[]>);
    }
    return () => this.off(event, listener);
  }
}
