import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine } from '../src/index.js';
import { createMathjsPeer, createTfjsCpuPeer, createTfjsWebgpuPeer, type Peer } from './peers.js';
import { checkFloors, formatFloors, formatTable, toCsv } from './report.js';
import { validateReport } from './schema.js';
import { defaultConfig, runSuite, type Shape } from './suite.js';

const USAGE = `npm run bench -- [options]
  --quick               small shapes, finishes in minutes on a 2-core machine without a GPU
  --shapes RxCxB,...    GPU shapes (weights rows×cols, batch), e.g. 4096x4096x256
  --runs N              timed runs per case (≥ 10; default 21 with --quick, else 10)
  --ops forward,backward,sddmm
  --no-peers            skip tfjs and mathjs
  --no-evolve           skip the topology-evolution cases
  --out FILE            JSON path (default bench/results/<date>-<adapter>[-quick].json; a .csv is written beside it)
  --help`;

interface Args {
  quick: boolean;
  shapes?: Shape[];
  runs?: number;
  ops?: Array<'forward' | 'backward' | 'sddmm'>;
  peers: boolean;
  evolve: boolean;
  out?: string;
}

function parseArgs(argv: string[]): Args | string {
  const args: Args = { quick: false, peers: true, evolve: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--quick':
        args.quick = true;
        break;
      case '--no-peers':
        args.peers = false;
        break;
      case '--no-evolve':
        args.evolve = false;
        break;
      case '--runs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 10) return '--runs must be an integer ≥ 10';
        args.runs = n;
        break;
      }
      case '--shapes':
        args.shapes = value()
          .split(',')
          .map((s) => {
            const [rows, cols, batch] = s.split('x').map(Number);
            if (![rows, cols, batch].every((v) => Number.isInteger(v) && v! > 0)) throw new Error(`bad shape ${s}; use RxCxB`);
            return { rows: rows!, cols: cols!, batch: batch! };
          });
        break;
      case '--ops': {
        const ops = value().split(',');
        if (!ops.every((o) => ['forward', 'backward', 'sddmm'].includes(o))) return '--ops takes forward, backward, sddmm';
        args.ops = ops as NonNullable<Args['ops']>;
        break;
      }
      case '--out':
        args.out = value();
        break;
      case '--help':
        return USAGE;
      default:
        return `unknown option ${a}\n${USAGE}`;
    }
  }
  return args;
}

export async function main(argv: string[]): Promise<number> {
  let args: Args | string;
  try {
    args = parseArgs(argv);
  } catch (e) {
    args = String(e instanceof Error ? e.message : e);
  }
  if (typeof args === 'string') {
    console.log(args);
    return args === USAGE ? 0 : 2;
  }
  const config = defaultConfig(args.quick);
  if (args.shapes) config.shapes = args.shapes;
  if (args.runs) config.timing.runs = args.runs;
  if (args.ops) config.ops = args.ops;
  if (!args.evolve) config.evolve = [];

  const gpu: Engine = await createEngine({ backend: 'auto' });
  const cpu = await createEngine({ backend: 'cpu' });
  if (gpu.backend === 'webgpu') {
    const a = gpu.adapterInfo!;
    console.log(`WebGPU adapter: ${a.vendor} ${a.architecture} ${a.description}`.trim());
  } else {
    console.log(`No WebGPU (${gpu.fallbackReason}); measuring the CPU backend only.`);
  }
  const peers: Peer[] = [];
  if (args.peers) {
    if (gpu.device) peers.push(await createTfjsWebgpuPeer(gpu.device));
    peers.push(await createTfjsCpuPeer(), createMathjsPeer());
  }

  const started = performance.now();
  const report = await runSuite(config, {
    gpu: gpu.backend === 'webgpu' ? gpu : undefined,
    cpu,
    peers,
    environment: { runtime: `node ${process.versions.node}`, platform: `${process.platform}-${process.arch}` },
    onProgress: ({ done, total, label, result }) => {
      if (result) {
        const speed = result.speedupVsDense === null ? '' : `  ${result.speedupVsDense.toFixed(2)}× vs dense`;
        console.log(`[${String(done).padStart(3)}/${total}] ${label}: ${result.medianMs.toFixed(3)} ms${speed}`);
      }
    },
  });
  for (const p of peers) p.dispose?.();
  gpu.dispose();
  cpu.dispose();

  const problems = validateReport(report);
  if (problems.length) {
    console.error(`report does not match the schema:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(formatTable(report));
  const floors = checkFloors(report);
  console.log('\nFloors (ratios of medians measured in this run):');
  console.log(formatFloors(floors));
  for (const s of report.skipped) console.log(`skipped: ${s.label}: ${s.reason}`);

  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const adapter = (report.adapter ? `${report.adapter.vendor}-${report.adapter.architecture}` : 'cpu').replace(/[^a-zA-Z0-9_-]+/g, '-') || 'unknown';
  const out = args.out ?? join(root, 'bench', 'results', `${report.date.slice(0, 10)}-${adapter}${args.quick ? '-quick' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ ...report, floors }, null, 2) + '\n');
  writeFileSync(out.replace(/\.json$/, '') + '.csv', toCsv(report));
  console.log(`\nwrote ${out} (+ .csv) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
