import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigReader } from '@flywheel/core';

/** Whether and how a server asks callers for a certificate. */
export const clientAuthModes = ['none', 'request', 'require'] as const;
export type ClientAuthMode = (typeof clientAuthModes)[number];

/** Transport security, read once from `FLYWHEEL_TLS_*`. Off: plaintext gRPC and HTTP (embedded mode). */
export type TlsConfig = { readonly enabled: false } | EnabledTlsConfig;

export interface EnabledTlsConfig {
  readonly enabled: true;
  /** PEM certificate chain the servers present (`FLYWHEEL_TLS_CERT`). */
  readonly certFile: string;
  /** PEM private key of {@link certFile} (`FLYWHEEL_TLS_KEY`). */
  readonly keyFile: string;
  /**
   * PEM CA bundle (`FLYWHEEL_TLS_CA`): verifies client certificates on servers and peer servers on
   * clients. Absent: clients trust the system roots, servers verify no client certificate.
   */
  readonly caFile?: string;
  /** `none`: no client certificate asked; `request`: asked, verified when given; `require`: mTLS. */
  readonly clientAuth: ClientAuthMode;
  /** The certificate a client presents to its peers (`FLYWHEEL_TLS_CLIENT_CERT`, default the server's). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** How often the files are re-read, so rotated certificates count without a restart, ms. */
  readonly reloadMs: number;
}

const settings = [
  'FLYWHEEL_TLS_CERT',
  'FLYWHEEL_TLS_KEY',
  'FLYWHEEL_TLS_CA',
  'FLYWHEEL_TLS_CLIENT_AUTH',
  'FLYWHEEL_TLS_CLIENT_CERT',
  'FLYWHEEL_TLS_CLIENT_KEY',
  'FLYWHEEL_TLS_RELOAD',
] as const;

/**
 * Reads `FLYWHEEL_TLS` (`off` | `on`, default `off`) and, when on, `FLYWHEEL_TLS_CERT`,
 * `FLYWHEEL_TLS_KEY`, `FLYWHEEL_TLS_CA`, `FLYWHEEL_TLS_CLIENT_AUTH` (none | request | require,
 * default none), `FLYWHEEL_TLS_CLIENT_CERT` / `FLYWHEEL_TLS_CLIENT_KEY` (default the server's pair)
 * and `FLYWHEEL_TLS_RELOAD` (default 5m). The files are read and checked here, so a missing file,
 * a key that is not the certificate's, or a contradiction (a TLS setting while off, client auth
 * without a CA) is a problem at startup naming the variable, not a failed handshake later.
 */
export function readTlsConfig(reader: ConfigReader): TlsConfig {
  const mode = reader.oneOf('FLYWHEEL_TLS', ['off', 'on'], 'off');
  if (mode === 'off') {
    for (const setting of settings) {
      if (reader.optional(setting) !== undefined)
        reader.problem(setting, 'is set but FLYWHEEL_TLS is off: set FLYWHEEL_TLS=on, or unset it');
    }
    return { enabled: false };
  }
  const certFile = reader.optional('FLYWHEEL_TLS_CERT');
  const keyFile = reader.optional('FLYWHEEL_TLS_KEY');
  const caFile = reader.optional('FLYWHEEL_TLS_CA');
  if (!certFile)
    reader.problem(
      'FLYWHEEL_TLS_CERT',
      'is required with FLYWHEEL_TLS=on: the PEM certificate chain servers present',
    );
  if (!keyFile)
    reader.problem(
      'FLYWHEEL_TLS_KEY',
      'is required with FLYWHEEL_TLS=on: the PEM private key of FLYWHEEL_TLS_CERT',
    );
  const clientAuth = reader.oneOf('FLYWHEEL_TLS_CLIENT_AUTH', clientAuthModes, 'none');
  if (clientAuth !== 'none' && !caFile) {
    reader.problem(
      'FLYWHEEL_TLS_CLIENT_AUTH',
      `is "${clientAuth}" but FLYWHEEL_TLS_CA is not set: client certificates need a CA to be verified against`,
    );
  }
  const clientCertFile = reader.optional('FLYWHEEL_TLS_CLIENT_CERT');
  const clientKeyFile = reader.optional('FLYWHEEL_TLS_CLIENT_KEY');
  if ((clientCertFile === undefined) !== (clientKeyFile === undefined)) {
    reader.problem('FLYWHEEL_TLS_CLIENT_CERT', 'and FLYWHEEL_TLS_CLIENT_KEY: set both or neither');
  }
  const reloadMs = reader.durationMs('FLYWHEEL_TLS_RELOAD', '5m');
  if (reloadMs < 1_000) reader.problem('FLYWHEEL_TLS_RELOAD', 'must be at least 1s');
  if (certFile && keyFile) checkPair(reader, 'FLYWHEEL_TLS_CERT', certFile, 'FLYWHEEL_TLS_KEY', keyFile);
  if (clientCertFile && clientKeyFile)
    checkPair(reader, 'FLYWHEEL_TLS_CLIENT_CERT', clientCertFile, 'FLYWHEEL_TLS_CLIENT_KEY', clientKeyFile);
  if (caFile) readCertificate(reader, 'FLYWHEEL_TLS_CA', caFile);
  return {
    enabled: true,
    certFile: certFile ?? '',
    keyFile: keyFile ?? '',
    ...(caFile ? { caFile } : {}),
    clientAuth,
    clientCertFile: clientCertFile ?? certFile ?? '',
    clientKeyFile: clientKeyFile ?? keyFile ?? '',
    reloadMs,
  };
}

function checkPair(
  reader: ConfigReader,
  certSetting: string,
  certFile: string,
  keySetting: string,
  keyFile: string,
): void {
  const certificate = readCertificate(reader, certSetting, certFile);
  const key = readKey(reader, keySetting, keyFile);
  if (certificate && key && !certificate.checkPrivateKey(key))
    reader.problem(keySetting, `(${keyFile}) is not the private key of ${certSetting} (${certFile})`);
}

function readCertificate(reader: ConfigReader, setting: string, file: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(file));
  } catch (error) {
    reader.problem(setting, `(${file}) is not a readable PEM certificate: ${reasonOf(error)}`);
    return undefined;
  }
}

function readKey(reader: ConfigReader, setting: string, file: string): KeyObject | undefined {
  try {
    return createPrivateKey(readFileSync(file));
  } catch (error) {
    // The reason of a key that does not parse never quotes its content.
    reader.problem(setting, `(${file}) is not a readable PEM private key: ${reasonOf(error)}`);
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : message;
}
