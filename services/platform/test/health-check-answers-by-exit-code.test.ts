import { createRpcServer, type RpcServer } from '@flywheel/rpc';
import { afterEach, expect, it } from 'vitest';
import { runHealthCheckCommand } from '../src/health-check-command.ts';

let server: RpcServer | undefined;
afterEach(async () => {
  await server?.close({ graceMs: 0 });
  server = undefined;
});

function capture() {
  const lines: string[] = [];
  return { lines, out: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) } };
}

it('exits 0 while the process is SERVING, 1 once it is NOT_SERVING or for an unknown service', async () => {
  server = createRpcServer();
  const address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
  const { lines, out } = capture();
  expect(await runHealthCheckCommand([address], out)).toBe(0);
  expect(lines.at(-1)).toBe(`${address} "": SERVING`);
  expect(await runHealthCheckCommand([address, 'no.such.Service'], out)).toBe(1);
  server.setHealth('', 'NOT_SERVING');
  expect(await runHealthCheckCommand([address], out)).toBe(1);
  expect(lines.at(-1)).toBe(`${address} "": NOT_SERVING`);
});

it('exits 1 when nothing answers, 2 on bad usage', async () => {
  const probe = createRpcServer();
  const port = await probe.listen('127.0.0.1:0');
  await probe.close({ graceMs: 0 });
  const { lines, out } = capture();
  expect(await runHealthCheckCommand([`127.0.0.1:${port}`], out)).toBe(1);
  expect(await runHealthCheckCommand([], out)).toBe(2);
  expect(await runHealthCheckCommand(['no-port'], out)).toBe(2);
  expect(lines.at(-1)).toMatch(/^usage: node scripts\/health-check.ts/);
});
