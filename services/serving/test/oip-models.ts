import { buildOnnxModel, encodeOnnxModel } from '@flywheel/ml';
import { ArtifactFormat } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { oipDatatypes } from '../src/runtime/oip-datatypes.ts';
import { championDeployment, type Stack, v1Model } from './serving-harness.ts';

/** Every datatype the identity model carries (every one serving does): `in_<dt>` → `out_<dt>` each. */
export const identityDatatypes = oipDatatypes;

/** An ONNX model of Identity nodes, one per datatype, each [N, 2]. */
export function identityModelBytes(): Uint8Array {
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'identity',
      inputs: identityDatatypes.map((datatype) => ({ name: `in_${datatype}`, datatype, shape: ['N', 2] })),
      outputs: identityDatatypes.map((datatype) => ({ name: `out_${datatype}`, datatype, shape: ['N', 2] })),
      nodes: identityDatatypes.map((datatype) => ({
        opType: 'Identity',
        inputs: [`in_${datatype}`],
        outputs: [`out_${datatype}`],
      })),
    }),
  );
}

/** Registers `bytes` as the next version of `model`, sets `champion` to it, deploys it as `deployment`. */
export async function deployBytes(
  stack: Stack,
  model: string,
  deployment: string,
  bytes: Uint8Array,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const { version } = await stack.registry.registerVersion({
    requestId: crypto.randomUUID(),
    modelName: model,
    artifactSource: { case: 'artifactBytes', value: bytes },
    format: ArtifactFormat.ONNX,
  });
  await stack.setAlias(model, 'champion', version!.version);
  await stack.serving.createDeployment({ deployment: championDeployment(deployment, model, extra) });
}

/** Deploys the weather model (v1Model) as `deployment`. */
export async function deployWeather(stack: Stack, model: string, deployment: string): Promise<void> {
  const { version } = await stack.register(model, v1Model);
  await stack.setAlias(model, 'champion', version);
  await stack.serving.createDeployment({ deployment: championDeployment(deployment, model) });
}
