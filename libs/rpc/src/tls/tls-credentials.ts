import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { AppError } from '@flywheel/core';
import * as grpc from '@grpc/grpc-js';
import type { EnabledTlsConfig, TlsConfig } from './tls-config.ts';

// One TLS configuration, three consumers: the gRPC server, gRPC clients and the HTTPS server.
// Certificate files are re-read every `reloadMs` (grpc-js's file watcher for gRPC, a timer for
// HTTPS), so a rotated certificate counts without a restart.

/** One file watcher per file set and process: every server and channel of a config shares it. */
const watchers = new Map<string, grpc.experimental.FileWatcherCertificateProvider>();

function watcher(certFile: string, keyFile: string, caFile: string | undefined, reloadMs: number) {
  const key = JSON.stringify([certFile, keyFile, caFile, reloadMs]);
  let provider = watchers.get(key);
  if (!provider) {
    provider = new grpc.experimental.FileWatcherCertificateProvider({
      certificateFile: certFile,
      privateKeyFile: keyFile,
      ...(caFile ? { caCertificateFile: caFile } : {}),
      refreshIntervalMs: reloadMs,
    });
    watchers.set(key, provider);
  }
  return provider;
}

/** What a gRPC server binds with, and how to wait until its certificate files are read. */
export interface GrpcServerTls {
  readonly credentials: grpc.ServerCredentials;
  /**
   * Resolves once the files were read (grpc-js reads them asynchronously: a handshake before that
   * fails), to a release to call once the server is bound; rejects `unavailable` when unreadable.
   */
  loaded(): Promise<() => void>;
}

/** The credentials a gRPC server binds with: its certificate, and client verification per `clientAuth`. */
export function grpcServerTls(tls: EnabledTlsConfig): GrpcServerTls {
  if (tls.clientAuth === 'none') {
    // No CA provider: no client certificate is asked for. grpc-js 1.14 hands the function's first
    // argument to the identity slot (its parameter names are swapped); the TLS tests cover it.
    const identity = watcher(tls.certFile, tls.keyFile, undefined, tls.reloadMs);
    return {
      credentials: grpc.experimental.createCertificateProviderServerCredentials(identity, null, false),
      loaded: () => firstRead(identity, tls),
    };
  }
  // One provider holds the identity and the CA, so the argument order does not matter here.
  const provider = watcher(tls.certFile, tls.keyFile, tls.caFile, tls.reloadMs);
  return {
    credentials: grpc.experimental.createCertificateProviderServerCredentials(
      provider,
      provider,
      tls.clientAuth === 'require',
    ),
    loaded: () => firstRead(provider, tls),
  };
}

/** Waits for `provider`'s first read of the identity files; the listener keeps it watching until released. */
function firstRead(
  provider: grpc.experimental.CertificateProvider,
  tls: EnabledTlsConfig,
): Promise<() => void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const listener = (update: grpc.experimental.IdentityCertificateUpdate | null): void => {
      if (settled) return;
      settled = true;
      const release = (): void => provider.removeIdentityCertificateListener(listener);
      if (update) resolve(release);
      else {
        release();
        reject(
          new AppError(
            'unavailable',
            `cannot read the TLS certificate ${tls.certFile} or its key ${tls.keyFile}`,
          ),
        );
      }
    };
    provider.addIdentityCertificateListener(listener);
  });
}

/**
 * The credentials a gRPC client connects with: insecure when TLS is off; else the server is
 * verified against `FLYWHEEL_TLS_CA` (the system roots without one) and the client presents its
 * certificate (service-to-service mTLS).
 */
export function grpcChannelCredentials(tls: TlsConfig): grpc.ChannelCredentials {
  if (!tls.enabled) return grpc.credentials.createInsecure();
  if (!tls.caFile) {
    return grpc.credentials.createSsl(
      null,
      readFileSync(tls.clientKeyFile),
      readFileSync(tls.clientCertFile),
    );
  }
  const provider = watcher(tls.clientCertFile, tls.clientKeyFile, tls.caFile, tls.reloadMs);
  return grpc.experimental.createCertificateProviderChannelCredentials(provider, provider);
}

/** The TLS options of an HTTPS server: certificate, and client verification per `clientAuth`. */
export function httpsServerOptions(tls: EnabledTlsConfig): SecureContextOptions & {
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return {
    ...secureContextOf(tls),
    requestCert: tls.clientAuth !== 'none',
    rejectUnauthorized: tls.clientAuth === 'require',
  };
}

/** The files of `tls` as TLS context options, read now. */
export function secureContextOf(tls: EnabledTlsConfig): SecureContextOptions {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.caFile && tls.clientAuth !== 'none' ? { ca: readFileSync(tls.caFile) } : {}),
  };
}
