// A service calling a peer for event-driven work says whom it acts for, so the peer's records and
// events keep the originator (docs/security.md). The peer honours it only from a caller that
// authenticated with its client certificate (a service), never alongside a token.

/** The request header a service's client sets from its acting scope's `onBehalfOf`. */
export const onBehalfOfHeader = 'flywheel-on-behalf-of';

/** A principal subject as tokens and certificates name them: printable, no spaces, at most 200. */
export const onBehalfOfPattern = /^[\x21-\x7e]{1,200}$/;
