import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SecuredStack, startSecuredStack, tritonSecured } from './secured-stack.ts';
import { sampleRows } from './serving-harness.ts';

const run = promisify(execFile);
const burst = 5;
const calls = 20;
// Low enough that, however slowly the calls run on a loaded machine, the bucket refills far less
// than the calls spend: refusals are certain without any timing assumption worth the name.
const rate = '0.05';
const limitNamed =
  /over serving's per-principal request limit \(FLYWHEEL_SERVING_PRINCIPAL_RATE=0\.05\/s, FLYWHEEL_SERVING_PRINCIPAL_BURST=5\)/;

/** One POST /v2/models/<model>/infer over HTTPS with curl: status, Retry-After and body. */
async function curlInfer(stack: SecuredStack, model: string, token: string) {
  const body = JSON.stringify({
    inputs: ['temp_max', 'temp_min', 'wind'].map((name, j) => ({
      name,
      datatype: 'FP32',
      shape: [sampleRows.length, 1],
      data: sampleRows.map((row) => row[j]),
    })),
  });
  const { stdout } = await run(
    'curl',
    [
      '-sS',
      '--cacert',
      stack.certs.ca,
      '-H',
      `authorization: Bearer ${token}`,
      '-H',
      'content-type: application/json',
      '--data-binary',
      body,
      '-D',
      '-',
      `https://${stack.httpAddress}/v2/models/${model}/infer`,
    ],
    { timeout: 30_000 },
  );
  const [head = '', text = ''] = stdout.split(/\r\n\r\n/, 2);
  const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1]);
  const retryAfter = /^retry-after: *(\S+)/im.exec(head)?.[1];
  return { status, retryAfter, body: JSON.parse(text) as Record<string, unknown> };
}

describe('serving limits requests per principal (FLYWHEEL_SERVING_PRINCIPAL_RATE and _BURST)', () => {
  const model = uniqueName('weather');
  let stack: SecuredStack;
  beforeAll(async () => {
    stack = await startSecuredStack(model, {
      FLYWHEEL_SERVING_PRINCIPAL_RATE: rate,
      FLYWHEEL_SERVING_PRINCIPAL_BURST: String(burst),
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(`over gRPC: past a burst of ${burst}, tritonclient sees RESOURCE_EXHAUSTED naming the limit; another principal still infers`, async () => {
    const { carol, alice } = stack.tokens;
    const result = await tritonSecured('grpc', stack.serving.address, model, stack.certs.ca, [
      ...Array<string>(calls).fill(carol),
      alice,
    ]);
    const burstCalls = result.calls.slice(0, calls);
    // A fresh bucket holds the whole burst.
    expect(burstCalls.slice(0, burst).map((c) => c.status)).toEqual(Array(burst).fill('OK'));
    const refused = burstCalls.filter((c) => c.status !== 'OK');
    expect(refused.length).toBeGreaterThan(0);
    for (const call of refused) {
      expect(call.status).toBe('StatusCode.RESOURCE_EXHAUSTED');
      expect(call.message).toMatch(limitNamed);
      expect(call.message).toMatch(/principal "sa:carol"/);
      expect(call.message).not.toContain(carol);
    }
    expect(result.calls[calls]?.status).toBe('OK');
  });

  it(`over HTTPS REST: past a burst of ${burst}, 429 with Retry-After naming the limit; another principal still gets 200`, async () => {
    const { dave, alice } = stack.tokens;
    const answers = [];
    for (let i = 0; i < calls; i++) answers.push(await curlInfer(stack, model, dave));
    expect(answers.slice(0, burst).map((a) => a.status)).toEqual(Array(burst).fill(200));
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body.error).toMatch(limitNamed);
      expect(answer.body.error).toMatch(/principal "sa:dave"/);
    }
    const other = await curlInfer(stack, model, alice);
    expect(other.status).toBe(200);
    expect(other.body.outputs).toBeDefined();
  });
});
