import { type BlobStore, blobUri } from '@flywheel/blobs';
import type { EventBus } from '@flywheel/bus';
import { newEvent } from '@flywheel/events';
import { DatasetFormat } from '@flywheel/proto/flywheel/common/v1/dataset_pb.js';
import { DatasetArrivedSchema } from '@flywheel/proto/flywheel/events/v1/data_pb.js';

/** One station-day as the weather feature views ingest it (see `@flywheel/example-weather`). */
export interface ClimateRow {
  station: string;
  event_time: string;
  temp_max: number;
  temp_min: number;
  wind: number;
  rained: number;
}

/** A made-up climate of one later episode: its days, and the label window a retrain covers. */
export interface ShiftedClimate {
  rows: ClimateRow[];
  startTime: string;
  endTime: string;
}

/**
 * Days of a climate no model has seen, for episode `episode` (≥ 2): hot and windy on even
 * episodes, cold and still on odd ones, 400 days from 2016 + 2·(episode − 2). Rain depends on
 * temp_max alone (hot: the hotter half rains; cold: the colder half), with wind and temp_min
 * varying independently — so a model trained on these days ranks its holdout almost perfectly
 * while the champion, trained elsewhere, does not: the promotion gate passes on merit.
 */
export function shiftedClimate(episode: number): ShiftedClimate {
  const year = 2016 + 2 * (episode - 2);
  const hot = episode % 2 === 0;
  const start = Date.UTC(year, 0, 1);
  const rows: ClimateRow[] = [];
  for (let i = 0; i < 400; i++) {
    const t = (i % 17) / 17;
    const w = (i % 13) / 13;
    const m = (i % 11) / 11;
    const temp_max = hot ? 40 + 5 * t : -20 - 5 * t;
    rows.push({
      station: hot ? 'chaos-hot' : 'chaos-cold',
      event_time: new Date(start + i * 86_400_000).toISOString(),
      temp_max,
      temp_min: temp_max - 8 - 4 * m,
      wind: hot ? 12 + 8 * w : 0.5 * w,
      rained: t >= 0.5 ? 1 : 0,
    });
  }
  return {
    rows,
    startTime: new Date(start).toISOString(),
    endTime: new Date(Date.UTC(year + 2, 0, 1)).toISOString(),
  };
}

/** Drops the rows as a JSONL blob and announces `dataset.arrived`, as a data pipeline does; returns the blob's URI. */
export async function climateArrives(
  rows: readonly ClimateRow[],
  targets: { bus: EventBus; blobs: BlobStore },
): Promise<string> {
  const ref = await targets.blobs.put(
    new TextEncoder().encode(rows.map((row) => `${JSON.stringify(row)}\n`).join('')),
  );
  await targets.bus.publish([
    newEvent(
      DatasetArrivedSchema,
      {
        dataset: 'noaa-weather',
        uri: blobUri(ref.sha256),
        format: DatasetFormat.JSONL,
        sha256: ref.sha256,
        rowCount: BigInt(rows.length),
      },
      { source: 'flywheel/chaos-data-pipeline' },
    ),
  ]);
  return blobUri(ref.sha256);
}
