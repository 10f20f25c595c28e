export type { AnswerSizeHint, AnswerTooLarge } from './answer-too-large.ts';
export { answerTooLarge } from './answer-too-large.ts';
export { methodPath } from './grpc-definition.ts';
export type { CallContext, ImplOf, MethodImpl, ServiceImpl } from './handler-types.ts';
export type { HealthStatus } from './health-service.ts';
export type { HttpHandler, HttpServer } from './http-server.ts';
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
export type { ClientMethod, RpcCallOptions, RpcClient, RpcClientOptions } from './rpc-client.ts';
export { createRpcClient } from './rpc-client.ts';
export type { AddServiceOptions, AnswerSizeHintsOf, RpcServer, RpcServerOptions } from './rpc-server.ts';
export { createRpcServer } from './rpc-server.ts';
export { validateMessage } from './validate-request.ts';
