/**
 * The serving peers Flywheel is measured against, each started as a child process on loopback ports
 * serving one ONNX model file under one name, and ready once OIP `ModelReady` says so over gRPC:
 * MLServer 1.7 (`mlserver/onnx_runtime.py`), KServe 0.21 (`peers/kserve_onnx.py`) and Triton 2.51 as
 * nvidia-pytriton 0.7 ships it (`peers/pytriton_onnx.py`). The venvs come from `peers/install.sh`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRPCInferenceService } from '@flywheel/proto/inference/grpc_service_pb.js';
import { createRpcClient } from '@flywheel/rpc';

export type PeerName = 'mlserver' | 'kserve' | 'pytriton';

export interface PeerServer {
  /** host:port of its OIP gRPC endpoint. */
  grpcAddress: string;
  /** host:port of its OIP v2 REST endpoint. */
  httpAddress: string;
  /** The process whose tree serves it (see {@link treeCpuSeconds}). */
  pid: number;
  stop(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

/** Installs (or finds, when cached) every peer's venv; the venv directory per peer. */
export function installPeers(): Record<PeerName, string> {
  const out = execFileSync('bash', [join(here, 'peers/install.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const venvs = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => line.split(' ')),
  );
  return venvs as Record<PeerName, string>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `peer` from its venv serving `modelBytes` as `name`; resolves once the model is ready. */
export async function startPeer(
  peer: PeerName,
  venv: string,
  name: string,
  modelBytes: Uint8Array,
): Promise<PeerServer> {
  const dir = mkdtempSync(join(tmpdir(), `flywheel-${peer}-`));
  const modelPath = join(dir, 'model.onnx');
  writeFileSync(modelPath, modelBytes);
  const [httpPort, grpcPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const python = join(venv, 'bin/python');
  let child: ChildProcess;
  if (peer === 'mlserver') {
    for (const file of ['model-settings.json', 'onnx_runtime.py'])
      copyFileSync(join(here, 'mlserver', file), join(dir, file));
    const settings = JSON.parse(readFileSync(join(dir, 'model-settings.json'), 'utf8'));
    writeFileSync(join(dir, 'model-settings.json'), JSON.stringify({ ...settings, name }));
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({
        host: '127.0.0.1',
        grpc_port: grpcPort,
        http_port: httpPort,
        metrics_endpoint: null,
        debug: false,
      }),
    );
    child = spawn(join(venv, 'bin/mlserver'), ['start', dir], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } else if (peer === 'kserve') {
    child = spawn(
      python,
      [join(here, 'peers/kserve_onnx.py'), modelPath, name, String(httpPort), String(grpcPort)],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } else {
    // Triton's C++ server, started by pytriton, loads the Python backend stub, which needs the
    // interpreter's own libpython.
    const libdir = execFileSync(
      python,
      ['-c', 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))'],
      {
        encoding: 'utf8',
      },
    ).trim();
    child = spawn(
      python,
      [
        join(here, 'peers/pytriton_onnx.py'),
        modelPath,
        name,
        String(httpPort),
        String(grpcPort),
        String(metricsPort),
      ],
      {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          LD_LIBRARY_PATH: [libdir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
        },
        // Its own process group: pytriton starts tritonserver as a child, stopped with the group.
        detached: true,
      },
    );
  }
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (peer === 'pytriton') process.kill(-child.pid!, 'SIGTERM');
    else child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (peer === 'pytriton') process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  };
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const client = createRpcClient(GRPCInferenceService, { address: grpcAddress, defaultTimeoutMs: 2_000 });
  const deadline = Date.now() + 180_000;
  try {
    for (;;) {
      try {
        if ((await client.modelReady({ name })).ready) break;
      } catch {}
      if (Date.now() > deadline || child.exitCode !== null) {
        await stop();
        throw new Error(`${peer} did not become ready:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    client.close();
  }
  return { grpcAddress, httpAddress: `127.0.0.1:${httpPort}`, pid: child.pid!, stop };
}

/**
 * CPU seconds (user + system, all threads) used so far by `pid` and every live descendant of it,
 * from /proc: the servers' cost per request, which a shared machine's load inflates far less than
 * their throughput (a server with more runnable threads also gets more of a contended CPU).
 */
export function treeCpuSeconds(pid: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid … utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {}
  }
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    ticks += stats.get(current)?.ticks ?? 0;
    for (const [child, { ppid }] of stats) if (ppid === current) pending.push(child);
  }
  // USER_HZ is 100 on Linux.
  return ticks / 100;
}
