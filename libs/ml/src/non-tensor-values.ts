import { fromBinary } from '@bufbuild/protobuf';
import {
  type ModelProto,
  ModelProtoSchema,
  TensorProto_DataType,
  type TypeProto,
} from '@flywheel/proto/onnx/onnx_pb.js';

/**
 * Why graph value `name` (an input or output onnxruntime reports as not a tensor) cannot be served,
 * and what to do instead, read from the ONNX graph: onnxruntime-node says only "not a tensor".
 * A sequence of maps is what skl2onnx's ZipMap makes of a classifier's probabilities (one
 * `{class: probability}` map per row); the fix is to convert without it.
 */
export function whyNotATensor(
  artifact: Uint8Array | ModelProto,
  name: string,
  kind: 'input' | 'output',
): string {
  const model = artifact instanceof Uint8Array ? decoded(artifact) : artifact;
  const graph = model?.graph;
  const declared = (kind === 'input' ? graph?.input : graph?.output)?.find((value) => value.name === name);
  const type = declared?.type ? describe(declared.type) : 'not a tensor';
  const zipMap =
    graph?.node.some((node) => node.opType === 'ZipMap' && node.output.includes(name)) ||
    isSequenceOfMaps(declared?.type);
  const subject = `${kind} "${name}" is ${type}`;
  if (zipMap) {
    return (
      `${subject} (skl2onnx's ZipMap output), which the Open Inference Protocol cannot carry: convert the ` +
      `classifier without ZipMap — convert_sklearn(..., options={id(classifier): {'zipmap': False}}) or ` +
      `to_onnx(..., options={'zipmap': False}) — so its probabilities are a float tensor [N, classes]`
    );
  }
  return `${subject}; Flywheel serves tensor-in, tensor-out models: change the graph so every input and output is a tensor`;
}

function decoded(artifact: Uint8Array): ModelProto | undefined {
  try {
    return fromBinary(ModelProtoSchema, artifact);
  } catch {
    return undefined;
  }
}

function isSequenceOfMaps(type: TypeProto | undefined): boolean {
  return type?.value.case === 'sequenceType' && type.value.value.elemType?.value.case === 'mapType';
}

/** The type in words: "a sequence of maps from int64 to float". */
function describe(type: TypeProto | undefined, plural = false): string {
  const a = (singular: string) => (plural ? `${singular}s` : `a ${singular}`);
  switch (type?.value.case) {
    case 'tensorType':
      return `${a('tensor')} of ${elementName(type.value.value.elemType)}`;
    case 'sequenceType':
      return `${a('sequence')} of ${describe(type.value.value.elemType, true)}`;
    case 'mapType':
      return `${a('map')} from ${elementName(type.value.value.keyType)} to ${describe(type.value.value.valueType, true).replace(/^tensors of /, '')}`;
    case 'optionalType':
      return `${a('optional')} ${describe(type.value.value.elemType).replace(/^an? /, '')}`;
    case 'sparseTensorType':
      return `${a('sparse tensor')} of ${elementName(type.value.value.elemType)}`;
    default:
      return plural ? 'values of a type serving does not know' : 'of a type serving does not know';
  }
}

/** The element type as onnxruntime names it ("float", "int64"), from the generated ONNX enum. */
function elementName(elemType: number): string {
  return TensorProto_DataType[elemType]?.toLowerCase() ?? `element type ${elemType}`;
}
