// D6: a consumer killed inside its handler leaves a `running` claim with a 60 s lease. The same
// replica restarted (same instance id, new incarnation) takes it over at once — the old
// incarnation is dead, since one process runs per instance id — while another replica's delivery
// still waits for the lease. Real processes, a real SIGKILL, the real MongoDB-wire server.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type CloudEvent, newEventId } from '@flywheel/events';
import { createMongoStore } from '@flywheel/store/mongo';
import { realServers, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createIdempotentHandler, type ProcessedEvent } from '../src/idempotent-handler.ts';

const { mongoUrl } = realServers();
const database = uniqueName('claims').replaceAll('.', '-');
const leaseMs = 60_000;
const script = join(import.meta.dirname, 'claiming-process.ts');

interface Claimer {
  readonly child: ChildProcess;
  /** JSON lines printed so far. */
  readonly lines: { msg: string; at: number }[];
  readonly exited: Promise<number | null>;
  output(): string;
}

function startClaimer(instanceId: string, eventId: string, mode: 'hang' | 'run'): Claimer {
  const child = spawn(
    process.execPath,
    [script, JSON.stringify({ mongoUrl, database, instanceId, eventId, leaseMs, mode })],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: { msg: string; at: number }[] = [];
  let output = '';
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as { msg: string; at: number });
      } catch {
        // not one of ours
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A failed assertion must not leave a child waiting out its lease.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, lines, exited, output: () => output };
}

const said = (claimer: Claimer, msg: string) => claimer.lines.find((line) => line.msg === msg);

describe('a restarted consumer and the claims its crashed incarnation left (real MongoDB, real SIGKILL)', () => {
  it('the same instance takes over at once; another instance waits for the lease', {
    timeout: 120_000,
  }, async () => {
    const eventId = newEventId();
    const id = `serving/${eventId}`;

    // 1. replica-1 claims the event and hangs in its handler; it is killed there.
    const first = startClaimer('host-a/serving', eventId, 'hang');
    await waitFor(() => said(first, 'handling'), {
      what: `the first process to hold the claim:\n${first.output()}`,
      timeoutMs: 30_000,
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();

    const store = createMongoStore({ url: mongoUrl, database });
    const records = store.collection<ProcessedEvent>('processed-events');
    try {
      const left = await records.get(id);
      expect(left?.data).toMatchObject({ status: 'running', instance: 'host-a/serving', claims: 1 });
      expect(left!.data.leaseUntil).toBeGreaterThan(Date.now() + 30_000);

      // 2. Another replica's redelivery (in this process) looks at the live claim and keeps waiting.
      let looks = 0;
      let otherEffects = 0;
      const other = createIdempotentHandler(
        {
          store,
          leaseMs,
          pollMs: 50,
          instance: { id: 'host-b/serving', incarnation: 'b-1' },
          now: () => {
            looks += 1;
            return Date.now();
          },
        },
        async () => {
          otherEffects += 1;
        },
      );
      const event: CloudEvent = {
        id: eventId,
        type: 'model.version-registered',
        source: 'test',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: new Uint8Array(),
        key: 'k',
      };
      const otherDone = other(event, {
        topic: event.type,
        group: 'serving',
        attempt: 2,
        signal: new AbortController().signal,
      });
      await waitFor(() => looks >= 10, { what: 'the other instance to look at the claim several times' });
      expect(otherEffects).toBe(0);
      expect((await records.get(id))?.data).toMatchObject({ status: 'running', claims: 1 });

      // 3. replica-1 restarted: takes its own lapsed claim over without waiting for the lease.
      const restarted = startClaimer('host-a/serving', eventId, 'run');
      const handled = await waitFor(() => said(restarted, 'handled'), {
        what: `the restarted process to take over and handle the event:\n${restarted.output()}`,
        timeoutMs: 20_000,
      });
      expect(await restarted.exited).toBe(0);
      const tookMs = handled.at - killedAt;
      console.log(`restarted instance handled the event ${tookMs} ms after the kill (lease ${leaseMs} ms)`);
      expect(tookMs).toBeLessThan(20_000);
      expect((await records.get(id))?.data).toMatchObject({
        status: 'done',
        claims: 2,
        instance: 'host-a/serving',
      });

      // The waiting replica then finds it done and skips it: one effect per incarnation that ran.
      await otherDone;
      expect(otherEffects).toBe(0);
    } finally {
      await records.delete(id).catch(() => false);
      await store.close();
    }
  });
});
