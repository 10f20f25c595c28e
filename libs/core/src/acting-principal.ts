import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who the work in progress is done by, as events and records carry it: the verified caller of an
 * RPC, or a service acting on its own (`service:scheduler`) — then `onBehalfOf` is the principal
 * whose call or event started the chain, so the audit trail survives every hop.
 */
export interface ActingPrincipal {
  readonly subject: string;
  readonly teams: readonly string[];
  /** The caller's role per team (`viewer` | `editor` | `admin`), when a verified caller acts. */
  readonly roles?: Readonly<Record<string, string>>;
  /** The originating principal of event-driven work; absent when the subject acts for itself. */
  readonly onBehalfOf?: string;
}

// A getter, not a value: the RPC kernel enters the scope before it has authenticated the caller.
const scope = new AsyncLocalStorage<() => ActingPrincipal | undefined>();

/**
 * Runs `fn` (and everything it starts: promises, timers) as `acting`. Set by the kernel — the RPC
 * server per call, the event consumer per delivery, the service host for background work — never
 * by handlers, so no handler can forget it.
 */
export function runActingAs<T>(
  acting: ActingPrincipal | (() => ActingPrincipal | undefined),
  fn: () => T,
): T {
  return scope.run(typeof acting === 'function' ? acting : () => acting, fn);
}

/** Who the current work is done by, or undefined outside any {@link runActingAs} scope. */
export function actingPrincipal(): ActingPrincipal | undefined {
  return scope.getStore()?.();
}
