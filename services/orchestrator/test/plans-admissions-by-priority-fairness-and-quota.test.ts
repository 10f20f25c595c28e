import { describe, expect, it } from 'vitest';
import { planAdmissions, type Waiting } from '../src/admission/admission-plan.ts';
import type { AdmissionConfig } from '../src/admission/queue-config.ts';
import { parseAdmissionConfig } from '../src/admission/queue-config.ts';

const config: AdmissionConfig = {
  queues: [
    { name: 'urgent', priority: 100 },
    { name: 'batch', priority: 10 },
  ],
  defaultQueue: 'batch',
  capacity: { cpu: 4 },
  teams: { small: { cpu: 1 } },
};

const run = (id: string, team: string, cpu: number, priority = 10, queuedSince = 0): Waiting => ({
  id,
  team,
  queue: priority === 100 ? 'urgent' : 'batch',
  priority,
  queuedSince,
  demand: { cpu, memoryMib: 0, gpu: 0, jobs: 1 },
});

describe('planAdmissions', () => {
  it('admits higher priority first, then the team with the smaller dominant share, then the longest waiting', () => {
    const decisions = planAdmissions(
      config,
      [{ id: 'held', team: 'a', demand: { cpu: 2, memoryMib: 0, gpu: 0, jobs: 1 } }],
      [run('a-old', 'a', 1, 10, 1), run('b-new', 'b', 1, 10, 2), run('c-urgent', 'c', 1, 100, 3)],
    );
    // c is urgent; b holds nothing while a holds half the capacity, so b goes before the older a run.
    expect(decisions.map((d) => [d.id, d.admit])).toEqual([
      ['c-urgent', true],
      ['b-new', true],
      ['a-old', false],
    ]);
    expect(decisions[2]).toMatchObject({ position: 1, reason: 'capacity: cpu 4 of 4 in use, needs 1' });
  });

  it('lets a run over its own team quota wait without holding up lower-priority runs of other teams', () => {
    const decisions = planAdmissions(
      config,
      [{ id: 'held', team: 'small', demand: { cpu: 1, memoryMib: 0, gpu: 0, jobs: 1 } }],
      [run('small-urgent', 'small', 1, 100, 1), run('other', 'other', 1, 10, 2)],
    );
    expect(decisions.map((d) => [d.id, d.admit, d.position, d.reason])).toEqual([
      ['small-urgent', false, 1, 'team small quota: cpu 1 of 1 in use, needs 1'],
      ['other', true, 0, ''],
    ]);
  });

  it('lets a run over the shared capacity hold up every run after it (no backfilling)', () => {
    const decisions = planAdmissions(
      config,
      [{ id: 'held', team: 'z', demand: { cpu: 1, memoryMib: 0, gpu: 0, jobs: 1 } }],
      [run('big', 'x', 4, 10, 1), run('late', 'y', 1, 10, 2)],
    );
    expect(decisions.map((d) => [d.id, d.admit, d.position, d.reason])).toEqual([
      ['big', false, 1, 'capacity: cpu 1 of 4 in use, needs 4'],
      ['late', false, 2, 'behind run big (queue batch), which waits for capacity'],
    ]);
  });
});

describe('parseAdmissionConfig', () => {
  it('lists every problem', () => {
    expect(() =>
      parseAdmissionConfig({ queues: [{ name: 'A B' }], capacity: { cores: 2, cpu: -1 }, extra: 1 }),
    ).toThrow(
      /queues\[0\]\.name: .*; capacity\.cores: unknown resource .*; capacity\.cpu: must be a number ≥ 0; extra: unknown setting/,
    );
  });
});
