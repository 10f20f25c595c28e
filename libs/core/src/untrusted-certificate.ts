/**
 * Node's TLS error codes for a server certificate the trusted CAs do not vouch for (self-signed,
 * unknown issuer, expired, wrong name): a configuration error on the client's side, never worth
 * retrying — unlike a server that is down or restarting. Every adapter that speaks TLS to a
 * server (Kafka, S3, …) classifies its errors with this one list.
 */
const untrustedCertificateCodes: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Whether `code` (an error's `code`) says the server's certificate is not trusted. */
export function isUntrustedCertificateCode(code: unknown): code is string {
  return typeof code === 'string' && untrustedCertificateCodes.has(code);
}
