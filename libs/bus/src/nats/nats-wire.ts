import type { WireMessage } from '@flywheel/events';
import { type MsgHdrs, headers as natsHeaders } from '@nats-io/transport-node';
import { keyHeader } from './nats-names.ts';

/** NATS headers for a wire message: its headers, plus the key in {@link keyHeader}. */
export function natsHeadersOf(message: WireMessage): MsgHdrs {
  const result = natsHeaders();
  for (const [name, value] of Object.entries(message.headers)) result.set(name, value);
  if (message.key !== undefined) result.set(keyHeader, message.key);
  return result;
}

/** A wire message from a stored NATS message; the server's own `Nats-*` headers are left out. */
export function wireMessageOf(data: Uint8Array, hdrs: MsgHdrs | undefined): WireMessage {
  const headers: Record<string, string> = {};
  let key: string | undefined;
  for (const name of hdrs?.keys() ?? []) {
    const value = hdrs!.get(name);
    if (name === keyHeader) key = value;
    else if (!/^nats-/i.test(name)) headers[name] = value;
  }
  return { key, value: data, headers };
}
