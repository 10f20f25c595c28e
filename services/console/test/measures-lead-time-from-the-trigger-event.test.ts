import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { RunSource } from '@flywheel/proto/flywheel/common/v1/trigger_pb.js';
import { RunSchema } from '@flywheel/proto/flywheel/orchestrator/v1/orchestrator_pb.js';
import { AliasChangeSchema, ModelVersionSchema } from '@flywheel/proto/flywheel/registry/v1/registry_pb.js';
import { describe, expect, it } from 'vitest';
import { leadTimeRows } from '../src/pages/lead-times.ts';

const t0 = Date.parse('2026-12-02T14:00:00Z');
const at = (seconds: number) => timestampFromMs(t0 + seconds * 1000);
const drift = (seconds?: number) => ({
  id: 'drift-1',
  type: 'drift.detected',
  source: 'flywheel/monitoring',
  subject: 'weather',
  ...(seconds === undefined ? {} : { time: at(seconds) }),
});

/** A run a trigger rule started `createdAt` s after t0 on a drift event of `eventAt` s, ended at `endedAt` s. */
function triggeredRun(id: string, times: { eventAt?: number; createdAt: number; endedAt: number }) {
  return create(RunSchema, {
    id,
    trigger: { source: RunSource.TRIGGER, triggerRuleName: 'retrain-on-drift', event: drift(times.eventAt) },
    createTime: at(times.createdAt),
    endTime: at(times.endedAt),
  });
}

const version = (v: bigint, runId: string, lineageEventAt?: number) =>
  create(ModelVersionSchema, {
    modelName: 'weather',
    version: v,
    lineage: {
      pipelineRunId: runId,
      ...(lineageEventAt === undefined ? {} : { triggerEvent: drift(lineageEventAt) }),
    },
  });

const aliasChange = (v: bigint, alias: string, seconds: number) =>
  create(AliasChangeSchema, { modelName: 'weather', alias, modelVersion: v, changeTime: at(seconds) });

describe('the console lead-time rows', () => {
  it('start at the trigger event time, not at the run creation, and end at the first alias change to the version', () => {
    // Monitoring detected drift at t0; the scheduler started the run 20 s later; it ended at 60 s.
    const rows = leadTimeRows(
      [triggeredRun('run-a', { eventAt: 0, createdAt: 20, endedAt: 60 })],
      [version(2n, 'run-a')],
      [aliasChange(2n, 'challenger', 100), aliasChange(2n, 'champion', 70), aliasChange(1n, 'champion', 5)],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      start: { atMs: t0, from: 'event' },
      toRunEndMs: 60_000,
      promoted: { atMs: t0 + 70_000, alias: 'champion' },
      leadMs: 70_000,
    });
  });

  it("takes the event time from the version's lineage when the run does not name it", () => {
    const rows = leadTimeRows(
      [triggeredRun('run-b', { createdAt: 20, endedAt: 60 })],
      [version(3n, 'run-b', 5)],
      [aliasChange(3n, 'champion', 65)],
    );
    expect(rows[0]).toMatchObject({ start: { atMs: t0 + 5_000, from: 'event' }, leadMs: 60_000 });
  });

  it('falls back to the run creation, saying so, when no event time is known; a gated-out run has no lead time', () => {
    const rows = leadTimeRows(
      [
        triggeredRun('run-c', { createdAt: 20, endedAt: 60 }),
        triggeredRun('run-gated', { eventAt: 0, createdAt: 10, endedAt: 30 }),
      ],
      [version(4n, 'run-c')],
      [aliasChange(4n, 'champion', 80)],
    );
    expect(rows[0]).toMatchObject({ start: { atMs: t0 + 20_000, from: 'run' }, leadMs: 60_000 });
    expect(rows[1]?.version).toBeUndefined();
    expect(rows[1]?.leadMs).toBeUndefined();
    expect(rows[1]?.toRunEndMs).toBe(30_000);
  });

  it('lists only runs a trigger rule started', () => {
    const manual = create(RunSchema, {
      id: 'run-manual',
      trigger: { source: RunSource.MANUAL },
      createTime: at(0),
      endTime: at(10),
    });
    expect(leadTimeRows([manual], [version(5n, 'run-manual')], [aliasChange(5n, 'champion', 20)])).toEqual(
      [],
    );
  });
});
