export type { KafkaSettings } from './kafka-settings.ts';
export { kafkaEnvAsService, kafkaEnvOf, kafkaServiceUsers, kafkaSettingsOf } from './kafka-settings.ts';
export type { KcatEnv, KcatRecord } from './kcat.ts';
export {
  kcatArgs,
  kcatCommand,
  kcatConsumeAll,
  kcatHeaders,
  kcatProduce,
  kcatProduceFiles,
  kcatProduceMany,
  kcatProduceWire,
  kcatTopics,
} from './kcat.ts';
export type { KubectlOptions, RealKubernetes } from './kubernetes.ts';
export { kubectl, kubectlJson, realKubernetes } from './kubernetes.ts';
export type { OtlpReceiver, ReceivedSpan } from './otlp-receiver.ts';
export { startOtlpReceiver } from './otlp-receiver.ts';
export type {
  PrivateServer,
  PrivateServerName,
  PrivateServerOptions,
} from './private-server.ts';
export { startPrivateServer } from './private-server.ts';
export type { PrometheusSample } from './prometheus.ts';
export {
  PrometheusQueryError,
  queryPrometheus,
  registerPrometheusTargets,
  waitForPrometheusQuery,
} from './prometheus.ts';
export type { ExpositionSample } from './prometheus-samples.ts';
export { parsePrometheusText, sampleSum, scrapePrometheus } from './prometheus-samples.ts';
export type { RealServers } from './real-servers.ts';
export { realRayAddress, realServers } from './real-servers.ts';
export { repoRoot } from './repo-root.ts';
export type { CertificatePair, TestCertificates } from './test-certificates.ts';
export { makeTestCertificates } from './test-certificates.ts';
export { uniqueName } from './unique-name.ts';
export type { WaitForOptions } from './wait-for.ts';
export { waitFor } from './wait-for.ts';
export type { ZipkinSpan } from './zipkin.ts';
export { fetchZipkinTrace, waitForZipkinTrace } from './zipkin.ts';
