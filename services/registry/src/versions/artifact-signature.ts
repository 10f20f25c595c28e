import { AppError } from '@flywheel/core';
import { checkOnnxArtifact, type OnnxTensorInfo } from '@flywheel/ml';
import type { SignatureRecord, TensorRecord } from '../records/registry-records.ts';

// A version's signature is the graph's: the registry loads the artifact and reads it, so what
// serving and monitoring are told is what the model takes. A client may send one too (the CLI
// does); it must then say the same, else the request is refused naming the field that differs —
// a client that believes something else about its model learns it at registration.

/**
 * The signature of ONNX `bytes`, checked loadable; `invalid_argument` naming `artifactField` when
 * they are not a loadable ONNX model (or not servable: a ZipMap output), naming `signature.…`
 * when `sent` disagrees with the graph.
 */
export async function artifactSignature(
  bytes: Uint8Array,
  artifactField: string,
  sent: SignatureRecord | null,
): Promise<SignatureRecord> {
  const graph = await checkOnnxArtifact(bytes, artifactField);
  const derived: SignatureRecord = {
    inputs: graph.inputs.map(tensorRecord),
    outputs: graph.outputs.map(tensorRecord),
  };
  if (sent) {
    agree(sent.inputs, derived.inputs, 'signature.inputs', 'input');
    agree(sent.outputs, derived.outputs, 'signature.outputs', 'output');
  }
  return derived;
}

/** An open rank (no shape in the graph) is stored as no dimensions, as the CLI sends it. */
function tensorRecord(info: OnnxTensorInfo): TensorRecord {
  return { name: info.name, datatype: info.datatype, shape: [...(info.shape ?? [])] };
}

function agree(sent: TensorRecord[], graph: TensorRecord[], field: string, kind: string): void {
  const byName = new Map(graph.map((tensor) => [tensor.name, tensor]));
  const names = graph.map((tensor) => `"${tensor.name}"`).join(', ') || 'none';
  for (const [i, tensor] of sent.entries()) {
    const actual = byName.get(tensor.name);
    if (!actual) {
      throw AppError.invalidArgument(
        `${field}[${i}].name`,
        `the model has no ${kind} "${tensor.name}" (its ${kind}s: ${names})`,
      );
    }
    if (actual.datatype !== tensor.datatype) {
      throw AppError.invalidArgument(
        `${field}[${i}].datatype`,
        `${kind} "${tensor.name}" is ${actual.datatype} in the model, not ${tensor.datatype}`,
      );
    }
    if (actual.shape.join(',') !== tensor.shape.join(',')) {
      throw AppError.invalidArgument(
        `${field}[${i}].shape`,
        `${kind} "${tensor.name}" has shape [${actual.shape.join(', ')}] in the model (-1: dynamic), ` +
          `not [${tensor.shape.join(', ')}]`,
      );
    }
  }
  const listed = new Set(sent.map((tensor) => tensor.name));
  const missing = graph.find((tensor) => !listed.has(tensor.name));
  if (missing) {
    throw AppError.invalidArgument(
      field,
      `leaves out the model's ${kind} "${missing.name}"; send every ${kind} or no signature (the registry reads it from the model)`,
    );
  }
}
