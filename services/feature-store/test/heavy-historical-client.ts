// Worker thread of keeps-serving-during-heavy-reads.test.ts: makes the heavy historical call and
// checks its rows here, so decoding the 100k-row answer (client work) does not hold the test's
// event loop, where the online calls are timed — only the service shares it.
import { parentPort, workerData } from 'node:worker_threads';
import { FeatureStoreService } from '@flywheel/proto/flywheel/featurestore/v1/featurestore_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import { plain } from './feature-store-harness.ts';

/** What the test asks: the service, the RPC, and how to recompute a row's expected value. */
export interface HeavyClientTask {
  address: string;
  rpc: 'unary' | 'stream';
  frameView: string;
  feature: string;
  base: number;
  stepMs: number;
}

/** What the worker answers. */
export interface HeavyClientResult {
  columns: string[];
  rows: number;
  messages: number;
  /** Rows whose value is not `reading(sensor, time)`, at most 5. */
  wrong: string[];
  error?: { code: string; message: string };
}

const task = workerData as HeavyClientTask;
const client = createRpcClient(FeatureStoreService, { address: task.address, defaultTimeoutMs: 170_000 });
const request = {
  features: [task.feature],
  entityDataframe: { source: { case: 'viewHistory' as const, value: { featureViewName: task.frameView } } },
};
const result: HeavyClientResult = { columns: [], rows: 0, messages: 0, wrong: [] };
const check = (values: readonly unknown[]) => {
  const [sensor, time, , value] = values as [string, string, unknown, number];
  const t = (Date.parse(time) - task.base) / task.stepMs;
  if (value !== Number(sensor.slice(1)) * 1000 + t + 0.5 && result.wrong.length < 5) {
    result.wrong.push(`${sensor} at ${time}: ${value}`);
  }
  result.rows++;
};
try {
  if (task.rpc === 'unary') {
    const answer = await client.getHistoricalFeatures(request);
    result.columns = answer.columns;
    result.messages = 1;
    for (const row of answer.rows) check(row.values.map(plain));
  } else {
    for await (const page of client.streamHistoricalFeatures(request)) {
      if (result.messages === 0) result.columns = page.columns;
      result.messages++;
      for (const row of page.rows) check(row.values.map(plain));
    }
  }
} catch (error) {
  const e = error as { code?: string; message?: string };
  result.error = { code: String(e.code), message: String(e.message) };
} finally {
  client.close();
}
parentPort!.postMessage(result);
