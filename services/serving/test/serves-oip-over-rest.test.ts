import { parsePrometheusText, sampleSum, uniqueName, waitFor } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';
import { deployBytes, deployWeather, identityDatatypes, identityModelBytes } from './oip-models.ts';
import { expectProbabilities, features, sampleRows, startStack, v1Model } from './serving-harness.ts';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });

const weatherJson = (rows: readonly (readonly number[])[] = sampleRows) => ({
  id: 'rest-1',
  inputs: features.map((name, j) => ({
    name,
    datatype: 'FP32',
    shape: [rows.length, 1],
    data: rows.map((row) => [row[j]]),
  })),
});

/** A metric's value in Prometheus text for one model label. */
function metric(text: string, name: string, model: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{model="${model}"`));
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

describe('the Open Inference Protocol over REST', () => {
  it('answers health, metadata, readiness and JSON inference computed by the model, with errors as {"error"} and HTTP statuses', async () => {
    const stack = await startStack();
    await deployWeather(stack, uniqueName('weather'), 'weather');
    const base = stack.http;

    expect(await (await fetch(`${base}/v2/health/live`)).json()).toEqual({ live: true });
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
    expect(await (await fetch(`${base}/v2`)).json()).toMatchObject({
      name: 'flywheel',
      extensions: ['model_configuration', 'model_repository', 'statistics'],
    });
    expect(await (await fetch(`${base}/v2/models/weather`)).json()).toEqual({
      name: 'weather',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: features.map((name) => ({ name, datatype: 'FP32', shape: [-1, 1] })),
      outputs: [
        { name: 'probability', datatype: 'FP32', shape: [-1, 1] },
        { name: 'label', datatype: 'INT64', shape: [-1, 1] },
      ],
    });
    expect((await fetch(`${base}/v2/models/weather/versions/1`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/weather/ready`)).status).toBe(200);
    expect((await fetch(`${base}/v2/models/weather/versions/2/ready`)).status).toBe(400);

    const answer = await post(`${base}/v2/models/weather/infer`, weatherJson());
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { outputs: { name: string; data: number[] }[] };
    expect(body).toMatchObject({ model_name: 'weather', model_version: '1', id: 'rest-1' });
    expectProbabilities(body.outputs.find((o) => o.name === 'probability')!.data, v1Model);
    const versioned = await post(`${base}/v2/models/weather/versions/1/infer`, {
      ...weatherJson(),
      outputs: [{ name: 'label' }],
    });
    expect(((await versioned.json()) as { outputs: { name: string }[] }).outputs.map((o) => o.name)).toEqual([
      'label',
    ]);

    const cases: [string, RequestInit | undefined, number, RegExp][] = [
      [`${base}/v2/models/nope`, undefined, 404, /not deployed/],
      [`${base}/v2/models/weather/versions/7`, undefined, 404, /no version "7"/],
      [`${base}/v2/nothing`, undefined, 404, /no route/],
    ];
    for (const [url, init, status, message] of cases) {
      const response = await fetch(url, init);
      expect(response.status, url).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    }
    const bad = async (body: unknown, status: number, message: RegExp, path = 'weather') => {
      const response = await post(`${base}/v2/models/${path}/infer`, body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    };
    await bad('{not json', 400, /not a JSON inference request/);
    await bad({ inputs: 3 }, 400, /inputs: must be a JSON array/);
    const json = weatherJson();
    await bad({ inputs: [{ ...json.inputs[0], shape: [3, 2] }, ...json.inputs.slice(1)] }, 400, /needs 6/);
    await bad(
      { inputs: [{ ...json.inputs[0], datatype: 'INT32' }, ...json.inputs.slice(1)] },
      400,
      /takes FP32/,
    );
    await bad(
      { inputs: [{ ...json.inputs[0], data: ['x', 'y', 'z'] }, ...json.inputs.slice(1)] },
      400,
      /takes numbers/,
    );
    await bad(
      json.inputs.slice(1).length ? { inputs: json.inputs.slice(1) } : {},
      400,
      /missing input "temp_max"/,
    );
    await bad(weatherJson(), 404, /not deployed/, 'nope');

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE nv_inference_request_success counter$/m);
    expect(metric(metrics, 'nv_inference_request_success', 'weather')).toBe(2);
    // Requests refused before reaching the model (unreadable JSON, values that do not fit) are not model failures.
    expect(metric(metrics, 'nv_inference_request_failure', 'weather')).toBe(2);
    expect(metric(metrics, 'nv_inference_count', 'weather')).toBe(6);
    expect(metric(metrics, 'nv_inference_exec_count', 'weather')).toBe(2);
    expect(metric(metrics, 'nv_inference_compute_infer_duration_us', 'weather')).toBeGreaterThanOrEqual(0);
    // The deployment's load was timed.
    expect(
      sampleSum(parsePrometheusText(metrics), 'flywheel_serving_model_load_seconds_count', {
        model: 'weather',
        service: 'serving',
      }),
    ).toBe(1);
    for (const line of metrics.trim().split('\n').filter(Boolean)) {
      // Prometheus text format: every series of the registry carries the service label.
      expect(line).toMatch(
        /^(# (HELP|TYPE) \w+ .+|\w+\{[^}]*service="serving"[^}]*\} (-?\d+(\.\d+)?(e[-+]?\d+)?|NaN|[-+]Inf))$/,
      );
    }
    await post(`${base}/v2/models/weather/infer`, weatherJson());
    await waitFor(
      async () =>
        metric(await (await fetch(`${base}/metrics`)).text(), 'nv_inference_request_success', 'weather') ===
        3,
      { what: 'the success counter to move' },
    );
    const stats = (await (await fetch(`${base}/v2/models/weather/stats`)).json()) as {
      model_stats: { name: string; inference_stats: { success: { count: number } } }[];
    };
    expect(stats.model_stats[0]).toMatchObject({
      name: 'weather',
      inference_stats: { success: { count: 3 } },
    });
  });

  it('round-trips every datatype in JSON and in Triton binary tensors, and refuses NaN unless the deployment allows it', async () => {
    const stack = await startStack();
    await deployBytes(stack, uniqueName('identity'), 'identity', identityModelBytes());
    const values: Record<(typeof identityDatatypes)[number], unknown[]> = {
      BOOL: [true, false, false, true],
      UINT8: [0, 255, 7, 8],
      UINT16: [0, 65535, 1, 2],
      UINT32: [0, 4294967295, 3, 4],
      UINT64: [0, 9007199254740991, 5, 6],
      INT8: [-128, 127, 0, 1],
      INT16: [-32768, 32767, 0, 1],
      INT32: [-2147483648, 2147483647, 0, 1],
      INT64: [-9007199254740991, 9007199254740991, 0, 1],
      FP16: [1.5, -2, 0.25, 65504],
      FP32: [1.5, -2.25, 3.125, 1e-3],
      FP64: [Math.PI, -Math.E, 1e300, 0],
      BYTES: ['héllo', '', 'wörld', '🙂'],
    };
    const inputs = identityDatatypes.map((datatype) => ({
      name: `in_${datatype}`,
      datatype,
      shape: [2, 2],
      data: values[datatype],
    }));
    const answer = await post(`${stack.http}/v2/models/identity/infer`, { inputs });
    const body = (await answer.json()) as { outputs: { name: string; datatype: string; data: unknown[] }[] };
    expect(answer.status, JSON.stringify(body)).toBe(200);
    for (const datatype of identityDatatypes) {
      const output = body.outputs.find((o) => o.name === `out_${datatype}`)!;
      expect(output.datatype).toBe(datatype);
      if (datatype === 'FP32') {
        for (const [i, v] of output.data.entries()) expect(v).toBeCloseTo(values.FP32[i] as number, 6);
      } else expect(output.data, datatype).toEqual(values[datatype]);
    }

    // Binary: FP32 input as raw bytes after the JSON header; out_FP32 asked back as binary.
    const header = new TextEncoder().encode(
      JSON.stringify({
        inputs: inputs.map((input) =>
          input.datatype === 'FP32'
            ? { name: input.name, datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } }
            : input,
        ),
        outputs: [{ name: 'out_FP32', parameters: { binary_data: true } }, { name: 'out_INT64' }],
      }),
    );
    const raw = new Uint8Array(Float32Array.from([1, 2, 3, 4]).buffer);
    const binary = await post(`${stack.http}/v2/models/identity/infer`, Buffer.concat([header, raw]), {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    });
    expect(binary.status).toBe(200);
    const length = Number(binary.headers.get('inference-header-content-length'));
    const bytes = new Uint8Array(await binary.arrayBuffer());
    const json = JSON.parse(new TextDecoder().decode(bytes.subarray(0, length))) as {
      outputs: { name: string; parameters?: { binary_data_size: number }; data?: unknown[] }[];
    };
    expect(json.outputs[0]).toMatchObject({ name: 'out_FP32', parameters: { binary_data_size: 16 } });
    expect(Array.from(new Float32Array(bytes.slice(length).buffer))).toEqual([1, 2, 3, 4]);
    expect(json.outputs[1]).toMatchObject({ name: 'out_INT64', data: values.INT64 });

    const nanBytes = new Uint8Array(Float32Array.from([1, Number.NaN, 3, 4]).buffer);
    const nan = await post(`${stack.http}/v2/models/identity/infer`, Buffer.concat([header, nanBytes]), {
      'inference-header-content-length': String(header.length),
    });
    expect(nan.status).toBe(400);
    expect(((await nan.json()) as { error: string }).error).toMatch(/value 1 is not a finite number/);

    await deployBytes(stack, uniqueName('identity'), 'identity-nan', identityModelBytes(), {
      labels: { 'serving.flywheel.dev/allow-non-finite': 'true' },
    });
    const allowed = await post(
      `${stack.http}/v2/models/identity-nan/infer`,
      Buffer.concat([header, nanBytes]),
      {
        'inference-header-content-length': String(header.length),
      },
    );
    expect(allowed.status).toBe(200);
  });
});
