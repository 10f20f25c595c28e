import { uniqueName } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  championDeployment,
  contentsRequest,
  float32Bytes,
  rawRequest,
  rejection,
  type Stack,
  startStack,
  v1Model,
} from './serving-harness.ts';

describe('bad inference input', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ stopManually: true });
    const model = uniqueName('weather');
    await stack.register(model, v1Model);
    await stack.setAlias(model, 'champion', 1n);
    await stack.serving.createDeployment({ deployment: championDeployment('rain', model) });
  });
  afterAll(() => stack.stop());

  /** Sends `request` and checks INVALID_ARGUMENT with the field and the input named in the message. */
  const refused = async (
    request: Parameters<Stack['inference']['modelInfer']>[0],
    field: string,
    named: string,
  ) => {
    const error = await rejection(stack.inference.modelInfer(request), 'invalid_argument');
    expect(error.field).toBe(field);
    expect(error.message).toContain(named);
    return error;
  };

  it('refuses a wrong shape, naming the input', async () => {
    const request = contentsRequest('rain');
    request.inputs[1]!.shape = [3n];
    const error = await refused(request, 'inputs[1].shape', '"temp_min"');
    expect(error.message).toContain('[-1, 1]');

    const wide = contentsRequest('rain');
    wide.inputs[2]!.shape = [1n, 3n];
    await refused(wide, 'inputs[2].shape', '"wind"');
  });

  it('refuses rows that disagree between inputs, naming both', async () => {
    const request = contentsRequest('rain');
    request.inputs[2] = { ...request.inputs[2]!, shape: [2n, 1n], contents: { fp32Contents: [1, 2] } };
    const error = await refused(request, 'inputs[2].shape', '"wind"');
    expect(error.message).toContain('"temp_max"');
  });

  it('refuses a wrong datatype, naming the input', async () => {
    const request = contentsRequest('rain');
    request.inputs[0] = {
      ...request.inputs[0]!,
      datatype: 'FP64',
      contents: { fp64Contents: [1, 2, 3] },
    } as never;
    const error = await refused(request, 'inputs[0].datatype', '"temp_max"');
    expect(error.message).toContain('FP32');
  });

  it('refuses values in the wrong contents field, naming the input', async () => {
    const request = contentsRequest('rain');
    request.inputs[0] = { ...request.inputs[0]!, contents: { fp64Contents: [1, 2, 3] } } as never;
    const error = await refused(request, 'inputs[0].contents', '"temp_max"');
    expect(error.message).toContain('fp32_contents');
  });

  it('refuses an unknown input and a missing one, naming them', async () => {
    const request = contentsRequest('rain');
    request.inputs[2]!.name = 'humidity';
    const unknown = await refused(request, 'inputs[2].name', '"humidity"');
    expect(unknown.message).toContain('"wind"');

    const missing = contentsRequest('rain');
    missing.inputs.pop();
    await refused(missing, 'inputs', '"wind"');

    const twice = contentsRequest('rain');
    twice.inputs[2] = { ...twice.inputs[0]! };
    await refused(twice, 'inputs[2].name', '"temp_max"');
  });

  it('refuses an element count that does not fit the shape, naming the input', async () => {
    const request = contentsRequest('rain');
    request.inputs[1]!.contents = { fp32Contents: [1, 2] };
    const error = await refused(request, 'inputs[1].contents', '"temp_min"');
    expect(error.message).toContain('needs 3');
  });

  it('refuses raw contents of the wrong byte length, naming the input', async () => {
    const request = rawRequest('rain');
    request.rawInputContents[1] = float32Bytes([1, 2]);
    const error = await refused(request, 'raw_input_contents[1]', '"temp_min"');
    expect(error.message).toContain('8 bytes');
    expect(error.message).toContain('need 12');
  });

  it('refuses a request that mixes raw and typed contents or sends too few raw entries', async () => {
    const mixed = rawRequest('rain');
    (mixed.inputs[0] as Record<string, unknown>).contents = { fp32Contents: [1, 2, 3] };
    await refused(mixed, 'inputs[0].contents', '"temp_max"');

    const short = rawRequest('rain');
    short.rawInputContents.pop();
    await refused(short, 'raw_input_contents', '2 entries for 3 inputs');
  });

  it('refuses an unknown output, and keeps serving after every refusal', async () => {
    await refused({ ...contentsRequest('rain'), outputs: [{ name: 'logit' }] }, 'outputs[0].name', '"logit"');
    const ok = await stack.inference.modelInfer(contentsRequest('rain'));
    expect(ok.outputs.map((output) => output.name)).toEqual(['probability', 'label']);
    expect(await stack.inference.serverLive({})).toMatchObject({ live: true });
  });

  it('refuses a request without a model name', async () => {
    const error = await rejection(stack.inference.modelInfer({ ...contentsRequest('') }), 'invalid_argument');
    expect(error.field).toBe('model_name');
  });
});
