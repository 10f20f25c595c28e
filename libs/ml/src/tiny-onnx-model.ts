import {
  buildOnnxModel,
  encodeOnnxModel,
  intAttribute,
  type OipDatatype,
  onnxElemTypeOf,
} from './onnx-model.ts';

/** A tensor as a signature lists it: -1 (or -1n) marks a dynamic dimension. */
export interface TinyTensor {
  name: string;
  datatype: string;
  shape: readonly (number | bigint)[];
}

export interface TinyOnnxModelOptions {
  /** Default one input "x", FP32 [-1, 1]. */
  inputs?: readonly TinyTensor[];
  /** Default one output "y", FP32 [-1, 1]. */
  outputs?: readonly TinyTensor[];
  /** Stored as the model's doc string, so different tags are different artifacts (digests). */
  tag?: string;
}

const defaultInputs: readonly TinyTensor[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }];
const defaultOutputs: readonly TinyTensor[] = [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }];

/**
 * The smallest real ONNX model with the given signature — onnxruntime loads it and the registry
 * reads that signature back: output i is input (i mod inputs) cast to the output's datatype. For
 * tests and examples that need "a model", not a trained one.
 */
export function tinyOnnxModel(options: TinyOnnxModelOptions = {}): Uint8Array {
  const inputs = options.inputs ?? defaultInputs;
  const outputs = options.outputs ?? defaultOutputs;
  const spec = (tensor: TinyTensor) => ({
    name: tensor.name,
    datatype: tensor.datatype as OipDatatype,
    shape: tensor.shape.map((dim, d) => (Number(dim) < 0 ? `d${d}` : Number(dim))),
  });
  return encodeOnnxModel(
    buildOnnxModel({
      graphName: 'tiny',
      docString: options.tag ?? '',
      inputs: inputs.map(spec),
      outputs: outputs.map(spec),
      nodes: outputs.map((output, i) => ({
        opType: 'Cast',
        inputs: [(inputs[i % inputs.length] as TinyTensor).name],
        outputs: [output.name],
        attributes: [intAttribute('to', onnxElemTypeOf(output.datatype as OipDatatype))],
      })),
    }),
  );
}
