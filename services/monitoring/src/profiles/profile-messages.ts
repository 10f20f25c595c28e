import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AppError } from '@flywheel/core';
import type {
  FeatureProfile,
  FeatureProfileSchema,
  ReferenceProfileSchema,
} from '@flywheel/proto/flywheel/monitoring/v1/monitoring_pb.js';
import {
  featureKind,
  featureSource,
  featureSourceName,
  requiredFeatureKindName,
} from '../records/enum-names.ts';
import type {
  FeatureProfileRecord,
  NumericProfileRecord,
  ReferenceProfileRecord,
} from '../records/profile-records.ts';
import { quantileSorted } from '../statistics/quantiles.ts';

/** The API message of a stored profile (the internal sample stays inside). */
export function profileToMessage(
  record: ReferenceProfileRecord,
): MessageInitShape<typeof ReferenceProfileSchema> {
  return {
    id: record.id,
    modelName: record.modelName,
    modelVersion: BigInt(record.modelVersion),
    sourceRef: record.sourceRef,
    createTime: timestampFromMs(Date.parse(record.createTime)),
    features: record.features.map(featureProfileToMessage),
    segments: (record.segments ?? []).map((segment) => ({
      segment: segment.segment,
      features: segment.features.map(featureProfileToMessage),
    })),
    unprofiled: (record.unprofiled ?? []).map((u) => ({
      name: u.name,
      source: featureSource(u.source),
      reason: u.reason,
    })),
  };
}

function featureProfileToMessage(
  feature: FeatureProfileRecord,
): MessageInitShape<typeof FeatureProfileSchema> {
  return {
    name: feature.name,
    kind: featureKind(feature.kind),
    source: featureSource(feature.source),
    count: BigInt(feature.count),
    missingCount: BigInt(feature.missingCount),
    distribution: feature.numeric
      ? {
          case: 'numeric' as const,
          value: {
            min: feature.numeric.min,
            max: feature.numeric.max,
            mean: feature.numeric.mean,
            stddev: feature.numeric.stddev,
            binEdges: feature.numeric.binEdges,
            binCounts: feature.numeric.binCounts.map(BigInt),
            quantiles: feature.numeric.quantiles,
          },
        }
      : feature.categorical
        ? {
            case: 'categorical' as const,
            value: {
              counts: Object.fromEntries(
                Object.entries(feature.categorical.counts).map(([k, v]) => [k, BigInt(v)]),
              ),
            },
          }
        : { case: undefined },
  };
}

/**
 * The stored form of profiles computed elsewhere. A numeric profile needs bin edges with counts,
 * quantiles, or both; what is missing is derived from the other (linear within bins). It carries
 * no data, so KS and Wasserstein cannot run against it (a summary drawn from 101 quantiles
 * misses the tails and reads identical distributions as drifted): `sampleKind: 'none'`, and
 * SetReferenceProfile refuses it for a feature a monitor tests so. Throws `invalid_argument`
 * naming the field (`profile.features[0].numeric.bin_edges`).
 */
export function featureProfilesFromMessage(features: readonly FeatureProfile[]): FeatureProfileRecord[] {
  const seen = new Set<string>();
  return features.map((feature, i) => {
    const path = `profile.features[${i}]`;
    if (seen.has(feature.name))
      throw AppError.invalidArgument(`${path}.name`, `"${feature.name}" is profiled twice`);
    seen.add(feature.name);
    const kind = requiredFeatureKindName(feature.kind, `${path}.kind`);
    const base = {
      name: feature.name,
      kind,
      source: featureSourceName(feature.source),
      missingCount: Number(feature.missingCount),
    };
    const distribution = feature.distribution;
    if (kind === 'numeric') {
      if (distribution.case !== 'numeric') {
        throw AppError.invalidArgument(`${path}.numeric`, 'is required for a numeric feature');
      }
      const numeric = numericFrom(distribution.value, Number(feature.count), `${path}.numeric`);
      const count = Number(feature.count) || numeric.binCounts.reduce((a, b) => a + b, 0);
      return { ...base, count, numeric };
    }
    if (distribution.case !== 'categorical' || Object.keys(distribution.value.counts).length === 0) {
      throw AppError.invalidArgument(`${path}.categorical.counts`, 'is required for a categorical feature');
    }
    const counts: Record<string, number> = {};
    for (const [category, count] of Object.entries(distribution.value.counts)) {
      if (count < 0n)
        throw AppError.invalidArgument(`${path}.categorical.counts`, `"${category}" has a negative count`);
      counts[category] = Number(count);
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total === 0) throw AppError.invalidArgument(`${path}.categorical.counts`, 'must not all be zero');
    return { ...base, count: Number(feature.count) || total, categorical: { counts } };
  });
}

interface NumericMessage {
  min: number;
  max: number;
  mean: number;
  stddev: number;
  binEdges: number[];
  binCounts: bigint[];
  quantiles: number[];
}

function numericFrom(message: NumericMessage, count: number, path: string): NumericProfileRecord {
  const edges = message.binEdges;
  const counts = message.binCounts.map(Number);
  const hasBins = edges.length > 0 || counts.length > 0;
  if (hasBins) {
    if (edges.length !== counts.length + 1 || counts.length === 0) {
      throw AppError.invalidArgument(
        `${path}.bin_edges`,
        `needs one more edge than bin_counts (${edges.length} edges, ${counts.length} counts)`,
      );
    }
    assertAscending(edges, `${path}.bin_edges`);
    if (counts.some((c) => c < 0) || counts.every((c) => c === 0)) {
      throw AppError.invalidArgument(`${path}.bin_counts`, 'must be non-negative and not all zero');
    }
  }
  if (message.quantiles.length === 1)
    throw AppError.invalidArgument(`${path}.quantiles`, 'needs at least q0 and q1');
  assertAscending(message.quantiles, `${path}.quantiles`);
  if (!hasBins && message.quantiles.length === 0) {
    throw AppError.invalidArgument(path, 'needs bin_edges with bin_counts, quantiles, or both');
  }
  const quantiles = message.quantiles.length > 0 ? message.quantiles : quantilesFromHistogram(edges, counts);
  const binEdges = hasBins ? edges : decileEdges(quantiles);
  const total = count > 0 ? count : counts.reduce((a, b) => a + b, 0) || 1000;
  const binCounts = hasBins ? counts : binEdges.slice(1).map(() => Math.round(total / (binEdges.length - 1)));
  return {
    min: message.min || quantiles[0]!,
    max: message.max || quantiles[quantiles.length - 1]!,
    mean: message.mean,
    stddev: message.stddev,
    binEdges,
    binCounts,
    quantiles,
    sample: [],
    sampleKind: 'none',
  };
}

function assertAscending(values: readonly number[], path: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw AppError.invalidArgument(path, `[${i}] is not a finite number`);
    if (i > 0 && values[i]! < values[i - 1]!) throw AppError.invalidArgument(path, 'must be ascending');
  }
}

/** 101 quantiles of a histogram, assuming values spread evenly within each bin. */
function quantilesFromHistogram(edges: readonly number[], counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const cumulative = [0];
  for (const count of counts) cumulative.push(cumulative[cumulative.length - 1]! + count / total);
  return Array.from({ length: 101 }, (_, k) => {
    const q = k / 100;
    let bin = 0;
    while (bin < counts.length - 1 && cumulative[bin + 1]! < q) bin++;
    const width = cumulative[bin + 1]! - cumulative[bin]!;
    const within = width > 0 ? (q - cumulative[bin]!) / width : 0;
    return edges[bin]! + (edges[bin + 1]! - edges[bin]!) * Math.min(1, Math.max(0, within));
  });
}

/** Ten equal-frequency bin edges read off the quantiles (ties collapsed). */
function decileEdges(quantiles: readonly number[]): number[] {
  const edges = [quantiles[0]!];
  const max = quantiles[quantiles.length - 1]!;
  for (let i = 1; i < 10; i++) {
    const edge = quantileSorted(quantiles, i / 10);
    if (edge > edges[edges.length - 1]! && edge < max) edges.push(edge);
  }
  edges.push(max);
  return edges;
}
