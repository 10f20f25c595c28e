import { AppError } from '@flywheel/core';
import { Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** Trailer keys that carry an AppError's extra facts across the wire. */
const trailer = {
  code: 'flywheel-error-code',
  field: 'flywheel-error-field',
  retriable: 'flywheel-retriable',
} as const;

/** The gRPC status an AppError goes out as, with its field and retriable flag in trailers. */
export function toGrpcStatus(error: AppError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set(trailer.code, error.code);
  metadata.set(trailer.retriable, String(error.retriable));
  if (error.field !== undefined) metadata.set(trailer.field, error.field);
  return { code: error.status, details: error.message, metadata };
}

/** The AppError a client sees for a failed call, rebuilt from the status and trailers. */
export function fromGrpcError(error: unknown, method: string): AppError {
  const status = error as Partial<ServiceError>;
  if (typeof status.code !== 'number') return AppError.from(error);
  const field = status.metadata?.get(trailer.field)[0];
  const retriable = status.metadata?.get(trailer.retriable)[0];
  return new AppError(AppError.codeOf(status.code), status.details || `${method} failed`, {
    cause: error,
    ...(typeof field === 'string' ? { field } : {}),
    ...(retriable === undefined ? {} : { retriable: retriable === 'true' }),
  });
}

/** Flattens gRPC metadata into a header map (first value of each key; binary keys skipped). */
export function metadataToHeaders(metadata: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') headers[key] = value;
  }
  return headers;
}
