import type { BlobStore } from '@flywheel/blobs';
import { isAppError, messageOf } from '@flywheel/core';
import { createOnnxScorer, type OnnxScorer } from '@flywheel/ml';
import type { UnprofiledFeatureRecord } from '../records/profile-records.ts';
import type { Scalar } from '../records/sample-values.ts';

/** The model whose outputs a reference profile covers: its ONNX artifact and the outputs wanted. */
export interface ModelOutputsSpec {
  /** sha256 of the ONNX artifact in the shared blob store; undefined when the registration names none. */
  artifactSha256: string | undefined;
  /** Output names to compute over the reference rows. */
  outputs: readonly string[];
}

/** Scorers of a model's outputs, opened from its artifact, and the outputs that could not be. */
export interface ModelOutputs {
  /** Model inputs the rows must carry (by feature name). */
  readonly inputs: readonly string[];
  /** Outputs that can be computed. */
  readonly outputs: readonly string[];
  readonly unavailable: readonly UnprofiledFeatureRecord[];
  /** Adds the outputs to every row (null where an input is missing or not finite). */
  score(rows: Array<Record<string, Scalar>>, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the artifact (read verified from the blob store) in onnxruntime — the runtime serving
 * uses — once per wanted output. An output the scorer cannot read (not a float with one value per
 * row, absent from the graph) or a missing artifact lands in `unavailable` with the reason; a
 * missing blob is `not_found` (thrown: the registration is wrong, not the model).
 */
export async function openModelOutputs(
  blobs: BlobStore,
  spec: ModelOutputsSpec,
  signal: AbortSignal,
): Promise<ModelOutputs> {
  const unavailable: UnprofiledFeatureRecord[] = [];
  const scorers = new Map<string, OnnxScorer>();
  if (spec.outputs.length > 0 && spec.artifactSha256 === undefined) {
    for (const name of spec.outputs) {
      unavailable.push({
        name,
        source: 'output',
        reason: 'the registered version names no model artifact to run over its training set',
      });
    }
  } else if (spec.artifactSha256 !== undefined && spec.outputs.length > 0) {
    const bytes = await blobs.getBytes(spec.artifactSha256, { signal });
    for (const name of spec.outputs) {
      try {
        scorers.set(name, await createOnnxScorer(bytes, { outputName: name, intraOpNumThreads: 1 }));
      } catch (error) {
        if (!isAppError(error, 'invalid_argument')) throw error;
        unavailable.push({
          name,
          source: 'output',
          reason: `the model's output cannot be computed over the training set: ${messageOf(error)}`,
        });
      }
    }
  }
  const inputs = [...new Set([...scorers.values()].flatMap((s) => s.featureNames))];
  return {
    inputs,
    outputs: [...scorers.keys()],
    unavailable,
    async score(rows, scoreSignal) {
      // Rows with every input finite are scored; the others read as missing outputs.
      const complete: number[] = [];
      rows.forEach((row, i) => {
        if (inputs.every((input) => typeof row[input] === 'number' && Number.isFinite(row[input]))) {
          complete.push(i);
        }
      });
      for (const [name, scorer] of scorers) {
        const featureRows = complete.map((i) => rows[i] as Record<string, number>);
        const scores = await scorer.score(featureRows, { signal: scoreSignal });
        for (const row of rows) row[name] = null;
        complete.forEach((rowIndex, k) => {
          rows[rowIndex]![name] = scores[k]!;
        });
      }
    },
    async close() {
      for (const scorer of scorers.values()) await scorer.close();
    },
  };
}
