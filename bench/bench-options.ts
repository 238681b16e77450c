// The benchmark's options, for both of its programs: `npm run bench`
// (bench/cli.ts: `--cpu-shape 64x64x8`) and the page /demo/bench.html
// (`?cpuShape=64x64x8`, and its form). One list, one parser per option, one
// set of defaults (those of the preset), one set of messages; `toSuiteConfig`
// turns the options into bench/suite.ts's configuration.
import { SUPPORTED_M } from '../src/index.js';
import { BadValue, choiceOption, flagOption, integerOption, list, OptionError, textOption, type OptionProgram, type OptionSpecs } from './options-core.js';
import { presetReaders, QUICK_SHORTHAND, type PresetFamily } from './preset-family.js';
import type { BenchOp } from './schema.js';
import { DEFAULT_MODEL_SHAPES, DEFAULT_MODEL_SPARSITIES } from './model/run.js';
import { PROFILE_NAMES, type ProfileName } from './model/profiles.js';
import { defaultConfig, type Shape, type SuiteConfig } from './suite.js';

export type BenchPreset = 'quick' | 'full';
export const BENCH_PRESETS: readonly BenchPreset[] = ['quick', 'full'];

export interface BenchOptions {
  /** Which suite configuration the other options start from. */
  preset: BenchPreset;
  /** GPU shapes (outputs × inputs × batch). */
  shapes: Shape[];
  /** The CPU cases' shape. */
  cpuShape: Shape;
  sparsities: number[];
  nm: Array<[number, number]>;
  ops: BenchOp[];
  /** Timed runs per case (≥ 10, which the report schema requires). */
  runs: number;
  warmups: number;
  /** Each timed run repeats the product until it lasts this long. */
  targetMs: number;
  /** Measure tfjs (webgpu, cpu) and mathjs too. */
  peers: boolean;
  /** Measure the topology-evolution cases (GPU only). */
  evolve: boolean;
  /** CLI: the JSON file ('' = bench/results/<date>-<adapter>[-quick].json). */
  out: string;
  /** Page: start a run as soon as the page has loaded. */
  autorun: boolean;
  /** Page: run in a dedicated worker (false: on the page's main thread). */
  worker: boolean;
  /** CLI: print the GPU execution model (bench/model) and write it into the JSON instead of timing. */
  model: boolean;
  /** CLI: the model's device profile. */
  modelProfile: ProfileName;
  /** CLI: the model's shapes (rows × cols × batch). */
  modelShapes: Shape[];
  /** CLI: the model's CSR sparsities. */
  modelSparsities: number[];
  /**
   * CLI: pairs of MNIST training epochs (threads 1 and every core, taking
   * turns) to time instead of the products: the train-epoch case and its
   * floor (bench/train-epoch.ts); 0 = off.
   */
  trainEpoch: number;
}

export const ALL_OPS: readonly BenchOp[] = ['forward', 'backward', 'sddmm'];

/** Where each program starts when no preset is given: the CLI measures the full suite (for real GPUs), the page the quick one. */
export const DEFAULT_PRESET: Record<OptionProgram, BenchPreset> = { cli: 'full', page: 'quick' };

export function defaultOptions(preset: BenchPreset): BenchOptions {
  const c = defaultConfig(preset === 'quick');
  return {
    preset,
    shapes: c.shapes,
    cpuShape: c.cpuShape,
    sparsities: c.sparsities,
    nm: c.nm,
    ops: c.ops,
    runs: c.timing.runs,
    warmups: c.timing.warmups,
    targetMs: c.timing.targetRunMs,
    peers: true,
    evolve: c.evolve.length > 0,
    out: '',
    autorun: false,
    worker: true,
    model: false,
    modelProfile: 'h100',
    modelShapes: DEFAULT_MODEL_SHAPES,
    modelSparsities: DEFAULT_MODEL_SPARSITIES,
    trainEpoch: 0,
  };
}

export const formatShape = (s: Shape): string => `${s.rows}x${s.cols}x${s.batch}`;
export const formatShapes = (s: Shape[]): string => s.map(formatShape).join(',');
export const formatSparsities = (s: number[]): string => s.join(',');
export const formatNm = (nm: Array<[number, number]>): string => nm.map(([n, m]) => `${n}:${m}`).join(',');

export function parseShape(text: string): Shape {
  const parts = text.trim().toLowerCase().split(/[x×]/).map(Number);
  if (parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v > 0)) {
    throw new BadValue(`bad shape "${text}": use ROWSxCOLSxBATCH, e.g. 512x512x64`);
  }
  return { rows: parts[0]!, cols: parts[1]!, batch: parts[2]! };
}

export function parseShapes(text: string): Shape[] {
  const shapes = list(text).map(parseShape);
  if (shapes.length === 0) throw new BadValue('give at least one shape, e.g. 512x512x64');
  return shapes;
}

export function parseSparsities(text: string): number[] {
  const values = list(text).map((s) => {
    const v = Number(s);
    if (!(v > 0 && v < 1)) throw new BadValue(`bad sparsity "${s}": use fractions between 0 and 1, e.g. 0.9`);
    return v;
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

export function parseNm(text: string): Array<[number, number]> {
  return list(text).map((s) => {
    const [n, m] = s.split(':').map(Number);
    if (!(Number.isInteger(n) && Number.isInteger(m) && (SUPPORTED_M as readonly number[]).includes(m!) && n! >= 1 && n! < m!)) {
      throw new BadValue(`bad N:M pattern "${s}": use N:M with M in ${SUPPORTED_M.join(', ')} and 1 ≤ N < M, e.g. 2:4`);
    }
    return [n!, m!] as [number, number];
  });
}

export function parseOps(text: string): BenchOp[] {
  const ops = list(text);
  const bad = ops.filter((o) => !(ALL_OPS as readonly string[]).includes(o));
  if (bad.length) throw new BadValue(`unknown op ${bad.join(', ')}: use ${ALL_OPS.join(', ')}`);
  if (ops.length === 0) throw new BadValue(`choose at least one of ${ALL_OPS.join(', ')}`);
  return ALL_OPS.filter((o) => ops.includes(o));
}

function parseTargetMs(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v > 0 && v <= 10_000)) throw new BadValue(`must be a number of milliseconds in (0, 10000], got "${text}"`);
  return v;
}

/** Every option of the benchmark, in --help's order. */
export const BENCH_OPTIONS: OptionSpecs<BenchOptions> = [
  {
    key: 'preset',
    scope: 'both',
    help: 'the configuration the other options start from: quick (512×512×64 + evolution at 1 M connections, minutes on 2 cores without a GPU) or full (1024² … 16384², for real GPUs)',
    ...choiceOption(BENCH_PRESETS),
  },
  { key: 'shapes', scope: 'both', placeholder: 'RxCxB,…', help: 'GPU shapes: weights rows×cols, batch', parse: parseShapes, format: formatShapes },
  { key: 'cpuShape', scope: 'both', placeholder: 'RxCxB', help: "the CPU cases' shape (smaller: CPU peers are slow)", parse: parseShape, format: formatShape },
  { key: 'sparsities', scope: 'both', placeholder: 'S,…', help: 'CSR sparsities, fractions of zero weights', parse: parseSparsities, format: formatSparsities },
  { key: 'nm', scope: 'both', placeholder: 'N:M,…', help: `N:M patterns (M in ${SUPPORTED_M.join(', ')}); empty for none`, parse: parseNm, format: formatNm },
  { key: 'ops', scope: 'both', placeholder: ALL_OPS.join(','), help: 'products to measure', parse: parseOps, format: (v) => v.join(',') },
  { key: 'runs', scope: 'both', placeholder: 'N', help: 'timed runs per case (≥ 10)', ...integerOption(10) },
  { key: 'warmups', scope: 'both', placeholder: 'N', help: 'untimed runs before the timed ones', ...integerOption(0) },
  { key: 'targetMs', scope: 'both', placeholder: 'MS', help: 'each timed run repeats the product until it lasts this long', parse: parseTargetMs, format: String },
  { key: 'peers', scope: 'both', ...flagOption, help: 'measure tfjs (WebGPU, CPU) and mathjs too' },
  { key: 'evolve', scope: 'both', ...flagOption, help: 'measure topology evolution (SET, GPU only)' },
  { key: 'out', scope: 'cli', placeholder: 'FILE', help: 'the JSON file (a .csv is written beside it)', shownDefault: 'bench/results/<date>-<adapter>[-quick].json', ...textOption },
  { key: 'autorun', scope: 'page', ...flagOption, help: 'start a run when the page has loaded' },
  { key: 'worker', scope: 'page', ...flagOption, help: "run in a dedicated worker (0: on the page's main thread)" },
  { key: 'model', scope: 'cli', ...flagOption, help: 'print the GPU execution model of the products (sectors per 512 B, active lanes, workgroups per SM, …) and write it into the JSON; no timing' },
  { key: 'modelProfile', scope: 'cli', help: "the model's device profile", ...choiceOption(PROFILE_NAMES) },
  { key: 'modelShapes', scope: 'cli', placeholder: 'RxCxB,…', help: "the model's shapes", parse: parseShapes, format: formatShapes },
  { key: 'modelSparsities', scope: 'cli', placeholder: 'S,…', help: "the model's CSR sparsities", parse: parseSparsities, format: formatSparsities },
  {
    key: 'trainEpoch',
    scope: 'cli',
    placeholder: 'PAIRS',
    help: "time PAIRS pairs of MNIST training epochs of the SET reference's MLP on the CPU (threads 1 and all, taking turns) instead of the products, with the ≥ 2.5× floor against the reference's 12.5 s; 0 = off",
    ...integerOption(0),
  },
];

/** `--quick` is `--preset quick` (as before presets had a name). */
export const BENCH_SHORTHANDS = QUICK_SHORTHAND;

const BENCH: PresetFamily<BenchOptions> = {
  specs: BENCH_OPTIONS,
  programs: { cli: 'npm run bench', page: 'the benchmark page' },
  defaultPreset: DEFAULT_PRESET,
  defaults: (preset) => defaultOptions(preset),
  // Something must be measured.
  check: (o) => (o.ops.length === 0 && o.shapes.length > 0 ? [new OptionError('ops', `choose at least one of ${ALL_OPS.join(', ')}`)] : []),
};

/** The benchmark CLI's and page's option readers (bench/preset-family.ts). */
export const { parseArgv: parseBenchArgv, parseSearch: parseBenchSearch, toSearch: benchOptionsToSearch, usage: BENCH_USAGE } = presetReaders(BENCH, 'npm run bench --', [
  "Defaults shown are the full preset's; --preset quick changes shapes, cpu-shape, runs, target-ms and the evolve layer.",
  'The benchmark page (/demo/bench.html) takes the same options as URL parameters: --cpu-shape 64x64x8 is ?cpuShape=64x64x8, --no-peers is ?peers=0.',
]);

/** The suite configuration: defaultConfig of the preset, overridden by the options. */
export function toSuiteConfig(o: BenchOptions): SuiteConfig {
  const config = defaultConfig(o.preset === 'quick');
  config.shapes = o.shapes;
  config.cpuShape = o.cpuShape;
  config.sparsities = o.sparsities;
  config.nm = o.nm;
  config.ops = o.ops;
  config.timing = { ...config.timing, runs: o.runs, warmups: o.warmups, targetRunMs: o.targetMs };
  if (!o.evolve) config.evolve = [];
  return config;
}
