export type { AnswerSizeHint, AnswerTooLarge } from './answer-too-large.ts';
export { answerTooLarge } from './answer-too-large.ts';
export type { AuditPrincipal } from './audit-principal.ts';
export {
  auditPrincipalOf,
  auditPrincipals,
  currentAuditPrincipal,
  unknownAuditPrincipal,
} from './audit-principal.ts';
export type { MethodPolicy, OwnedBy, ServicePolicy, TeamOf } from './auth/access-policy.ts';
export {
  authorize,
  ownedBy,
  platformAdminPolicy,
  readOnly,
  resourceNotFound,
} from './auth/access-policy.ts';
export type { ApiTokenFile, ApiTokenRecord } from './auth/api-tokens.ts';
export {
  apiTokenPrefix,
  mintApiToken,
  readApiTokenFile,
  writeApiTokenFile,
} from './auth/api-tokens.ts';
export type { AuthConfig, EnabledAuthConfig } from './auth/auth-config.ts';
export { asymmetricAlgorithms, readAuthConfig } from './auth/auth-config.ts';
export type { Authenticator } from './auth/authenticator.ts';
export { createAuthenticator } from './auth/authenticator.ts';
export type { CertificatePrincipalFile } from './auth/certificate-principals.ts';
export { certificateSubjectOf } from './auth/certificate-principals.ts';
export type { Action, Principal, TeamCondition, TeamRole } from './auth/principal.ts';
export {
  listedTeams,
  localPrincipal,
  mayAct,
  platformAdminGrant,
  principalOf,
  servicePrincipalOf,
  visibleTeams,
} from './auth/principal.ts';
export { readServiceToken, serviceTokenHeaders } from './auth/service-token.ts';

export { methodPath } from './grpc-definition.ts';
export type { CallContext, EncodedAnswer, ImplOf, MethodImpl, ServiceImpl } from './handler-types.ts';
export type { HealthStatus } from './health-service.ts';
export type { HttpAuth, HttpHandler, HttpServer } from './http-server.ts';
export {
  httpMethodNotAllowed,
  httpStatusOf,
  readHttpBody,
  readHttpJsonObject,
  sendHttp,
  sendHttpError,
  sendHttpJson,
  startHttpServer,
} from './http-server.ts';
export {
  decodePageToken,
  defaultPageSize,
  encodePageToken,
  maxPageSize,
  pageOf,
  pageSizeOf,
} from './paging.ts';
export type {
  ClientMethod,
  PeerClientOptions,
  RpcCallOptions,
  RpcClient,
  RpcClientOptions,
} from './rpc-client.ts';
export { createRpcClient } from './rpc-client.ts';
export { grpcCodeName } from './rpc-metrics.ts';
export type { AddServiceOptions, AnswerSizeHintsOf, RpcServer, RpcServerOptions } from './rpc-server.ts';
export { createRpcServer } from './rpc-server.ts';
export type { ClientAuthMode, EnabledTlsConfig, TlsConfig } from './tls/tls-config.ts';
export { clientAuthModes, readTlsConfig } from './tls/tls-config.ts';
export { grpcChannelCredentials } from './tls/tls-credentials.ts';
export { validateMessage } from './validate-request.ts';
