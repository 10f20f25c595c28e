/**
 * Flywheel serving side by side with the peers a user would pick instead (issue 13), on the SAME
 * ONNX model (the weather logistic regression: 3 FP32 [1, 1] inputs, batch 1) with the same
 * settings (one onnxruntime session per server, 1 intra-op and 1 inter-op thread, no dynamic
 * batching): MLServer 1.7.1, KServe 0.21.0 and Triton 2.51 as nvidia-pytriton 0.7.0 ships it.
 * Each server runs in turn in its own process (Flywheel: registry + serving, `server-process.ts`);
 * at every concurrency the same closed-loop clients measure it:
 *
 * - NVIDIA's perf_analyzer (gRPC, and `perf_analyzer_http` over OIP REST; synchronous calls, one
 *   thread per concurrent request) against Flywheel and Triton. It cannot measure MLServer or KServe: before any request it asks for the
 *   model's Triton config (`ModelConfig` RPC, `/v2/models/{m}/config`), which neither implements
 *   (gRPC: "failed to get model config: Method not found!").
 * - `goload` (grpc-go, the neutral client) against all four, so the peer ratios are same-client.
 *
 * Prints per server and client throughput, p50 and p99 per concurrency, and the Flywheel / peer
 * throughput ratio with the same client; then each server's CPU per request (its whole process
 * tree, from /proc, over the goload runs). Not a test: nothing asserts on time.
 *
 *   node bench/serving/perf-analyzer-bench.ts [seconds per level = 4] [concurrencies = 1,2,4,8,16,32,64]
 *   PEERS=mlserver,kserve,pytriton  CLIENTS=perf_analyzer,perf_analyzer_http,goload  (default all)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { weatherFeatures, weatherModel } from './bench-models.ts';
import { runLoad } from './load-process.ts';
import { installPeers, type PeerName, startPeer, treeCpuSeconds } from './peer-servers.ts';
import { startServerProcess } from './server-process.ts';
import { quantile } from './serving-stack.ts';

const seconds = Number(process.argv[2] ?? 4);
const levels = (process.argv[3] ?? '1,2,4,8,16,32,64').split(',').map(Number);
const peers = (process.env.PEERS ?? 'mlserver,kserve,pytriton').split(',').filter(Boolean) as PeerName[];
const model = 'weather';
const repo = fileURLToPath(new URL('../../', import.meta.url));

type Client = 'perf_analyzer' | 'perf_analyzer_http' | 'goload';
const allClients: Client[] = ['perf_analyzer', 'perf_analyzer_http', 'goload'];
const clientsAsked = (process.env.CLIENTS ?? allClients.join(',')).split(',') as Client[];
type Server = 'flywheel' | PeerName;
interface Measure {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** Server CPU (its whole process tree) per answered request, µs; goload runs only. */
  cpuUs?: number;
}
const results = new Map<string, Measure>();
const key = (server: Server, client: Client, level: number) => `${server}/${client}/${level}`;

const perfAnalyzer = execFileSync('bash', [join(repo, 'scripts/perf-analyzer/install.sh')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const venvs = installPeers();

/** One perf_analyzer measurement at `level`: 3 time windows of `seconds`/3, stability not asked for. */
async function measurePerfAnalyzer(
  address: string,
  protocol: 'grpc' | 'http',
  level: number,
): Promise<Measure> {
  const csv = join(mkdtempSync(join(tmpdir(), 'flywheel-pa-')), 'out.csv');
  const args = [
    ...['-m', model, '-u', address, '-i', protocol, '-b', '1'],
    ...weatherFeatures.flatMap((name) => ['--shape', `${name}:1,1`]),
    ...['--concurrency-range', `${level}:${level}`],
    ...['--measurement-interval', String(Math.round((seconds * 1000) / 3))],
    // The box is shared: any 3 windows do (perf_analyzer's stable-window count).
    ...['--stability-percentage', '999', '--max-trials', '3'],
    ...['--percentile', '99', '-f', csv],
  ];
  const child = spawn(perfAnalyzer, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`perf_analyzer exited with ${code}:\n${out.slice(-2000)}`);
  // Columns: Concurrency, Inferences/Second, …, p50 latency, p90, p95, p99 (µs), …
  const [header, row] = readFileSync(csv, 'utf8').trim().split('\n');
  const cells = Object.fromEntries(header!.split(',').map((name, i) => [name, Number(row!.split(',')[i])]));
  return {
    rps: cells['Inferences/Second']!,
    p50: cells['p50 latency']! / 1000,
    p99: cells['p99 latency']! / 1000,
    failed: 0,
  };
}

async function measureGoload(address: string, pid: number, level: number): Promise<Measure> {
  const cpuBefore = treeCpuSeconds(pid);
  const result = await runLoad(
    {
      address,
      model,
      input: weatherFeatures.join(','),
      width: 1,
      clients: level,
      durationMs: seconds * 1000,
      // One HTTP/2 connection per 8 clients (perf_analyzer's sync mode shares one channel too).
      channels: Math.max(1, Math.ceil(level / 8)),
    },
    1,
    'go',
  );
  const cpu = treeCpuSeconds(pid) - cpuBefore;
  const sorted = result.latenciesMs.sort((a, b) => a - b);
  return {
    rps: sorted.length / (result.durationMs / 1000),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    failed: result.failed,
    cpuUs: (cpu * 1e6) / sorted.length,
  };
}

interface Endpoints {
  grpc: string;
  http: string;
  pid: number;
}

async function measure(server: Server, { grpc: address, http, pid }: Endpoints, offered: Client[]) {
  const clients = offered.filter((client) => clientsAsked.includes(client));
  // Warm-up: JIT, connections, onnxruntime's first runs.
  await runLoad(
    {
      address,
      model,
      input: weatherFeatures.join(','),
      width: 1,
      clients: 4,
      durationMs: 2_000,
      channels: 1,
    },
    1,
    'go',
  );
  for (const level of levels) {
    for (const client of clients) {
      const result =
        client === 'goload'
          ? await measureGoload(address, pid, level)
          : await measurePerfAnalyzer(
              client === 'perf_analyzer' ? address : http,
              client === 'perf_analyzer' ? 'grpc' : 'http',
              level,
            );
      results.set(key(server, client, level), result);
      console.log(
        `${server.padEnd(8)} ${client.padEnd(13)} c=${String(level).padStart(2)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms${result.cpuUs ? `  server CPU ${result.cpuUs.toFixed(0)} µs/req` : ''}${result.failed ? `  failed ${result.failed}` : ''}  load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
  }
}

const bytes = weatherModel();
const started = new Date();
const loadAtStart = loadavg();
const flywheel = await startServerProcess();
try {
  await flywheel.deploy([
    {
      name: model,
      model: { kind: 'weather' },
      runtime: { instanceCount: 1, intraOpThreads: 1, interOpThreads: 1 },
    },
  ]);
  await measure(
    'flywheel',
    { grpc: flywheel.address, http: flywheel.httpAddress, pid: flywheel.pid },
    allClients,
  );
} finally {
  await flywheel.stop();
}
for (const peer of peers) {
  const server = await startPeer(peer, venvs[peer], model, bytes);
  try {
    await measure(
      peer,
      { grpc: server.grpcAddress, http: server.httpAddress, pid: server.pid },
      peer === 'pytriton' ? allClients : ['goload'],
    );
  } finally {
    await server.stop();
  }
}

const label: Record<Server, string> = {
  flywheel: 'Flywheel',
  mlserver: 'MLServer 1.7.1',
  kserve: 'KServe 0.21.0',
  pytriton: 'Triton 2.51 (pytriton 0.7.0)',
};
const goal: Record<PeerName, number> = { mlserver: 3, kserve: 3, pytriton: 1 };
const cell = (m: Measure | undefined) =>
  m ? `${m.rps.toFixed(0)} req/s, ${m.p50.toFixed(2)} / ${m.p99.toFixed(2)} ms` : '–';
console.log(
  `\n${started.toISOString()}, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${seconds} s per level`,
);
console.log('Markdown table (throughput, p50 / p99; ratio = Flywheel / peer throughput, same client):\n');
const servers: Server[] = ['flywheel', ...peers];
const columns = servers.flatMap((server) =>
  allClients
    .filter((client) => results.has(key(server, client, levels[0]!)))
    .map((client) => ({ server, client })),
);
const ratios = peers.flatMap((peer) =>
  allClients
    .filter((client) => results.has(key(peer, client, levels[0]!)))
    .map((client) => ({ peer, client })),
);
console.log(
  `| ${[
    'concurrency',
    ...columns.map(({ server, client }) => `${label[server]} (${client})`),
    ...ratios.map(({ peer, client }) => `÷ ${label[peer]} (${client}, goal ≥ ${goal[peer]}×)`),
  ].join(' | ')} |`,
);
console.log(`| --- | ${[...columns, ...ratios].map(() => '---').join(' | ')} |`);
for (const level of levels) {
  const measured = columns.map(({ server, client }) => cell(results.get(key(server, client, level))));
  const ratioCells = ratios.map(({ peer, client }) => {
    const ours = results.get(key('flywheel', client, level));
    const theirs = results.get(key(peer, client, level));
    return ours && theirs ? `**${(ours.rps / theirs.rps).toFixed(2)}×**` : '–';
  });
  console.log(`| ${level} | ${[...measured, ...ratioCells].join(' | ')} |`);
}
if (clientsAsked.includes('goload')) {
  console.log(
    '\nServer CPU per request (its process tree, µs, goload runs; ratio = peer / Flywheel, higher is better for Flywheel):\n',
  );
  console.log(
    `| concurrency | ${servers.map((server) => label[server]).join(' | ')} | ${peers.map((peer) => `${label[peer]} / Flywheel`).join(' | ')} |`,
  );
  console.log(`| --- | ${[...servers, ...peers].map(() => '---').join(' | ')} |`);
  for (const level of levels) {
    const cpu = (server: Server) => results.get(key(server, 'goload', level))?.cpuUs;
    const ours = cpu('flywheel');
    console.log(
      `| ${level} | ${servers.map((server) => cpu(server)?.toFixed(0) ?? '–').join(' | ')} | ${peers
        .map((peer) => {
          const theirs = cpu(peer);
          return ours && theirs ? `${(theirs / ours).toFixed(2)}×` : '–';
        })
        .join(' | ')} |`,
    );
  }
}
