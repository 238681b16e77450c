// The benchmark page's parameters: parsed from the URL's query string,
// written back to it, and turned into a bench/suite.ts SuiteConfig.
import type { BenchOp } from '../bench/schema.js';
import { defaultConfig, type Shape, type SuiteConfig } from '../bench/suite.js';
import { SUPPORTED_M } from '../src/index.js';

export type Preset = 'quick' | 'full';

export interface BenchParams {
  /** Which defaultConfig the other fields start from. */
  preset: Preset;
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
  /** Timed runs are repeated products lasting at least this long. */
  targetMs: number;
  /** Measure tfjs (webgpu, cpu) and mathjs too. */
  peers: boolean;
  /** Measure the topology-evolution cases (GPU only). */
  evolve: boolean;
  /** Start a run as soon as the page has loaded. */
  autorun: boolean;
}

export const ALL_OPS: readonly BenchOp[] = ['forward', 'backward', 'sddmm'];

export function defaultParams(preset: Preset = 'quick'): BenchParams {
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
    autorun: false,
  };
}

export const formatShape = (s: Shape): string => `${s.rows}x${s.cols}x${s.batch}`;
export const formatShapes = (s: Shape[]): string => s.map(formatShape).join(',');
export const formatSparsities = (s: number[]): string => s.join(',');
export const formatNm = (nm: Array<[number, number]>): string => nm.map(([n, m]) => `${n}:${m}`).join(',');

const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function parseShape(text: string): Shape {
  const parts = text.trim().toLowerCase().split(/[x×]/).map(Number);
  if (parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`bad shape "${text}": use ROWSxCOLSxBATCH, e.g. 512x512x64`);
  }
  return { rows: parts[0]!, cols: parts[1]!, batch: parts[2]! };
}

export function parseShapes(text: string): Shape[] {
  const shapes = list(text).map(parseShape);
  if (shapes.length === 0) throw new Error('give at least one shape');
  return shapes;
}

export function parseSparsities(text: string): number[] {
  const values = list(text).map((s) => {
    const v = Number(s);
    if (!(v > 0 && v < 1)) throw new Error(`bad sparsity "${s}": use fractions between 0 and 1, e.g. 0.9`);
    return v;
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

export function parseNm(text: string): Array<[number, number]> {
  return list(text).map((s) => {
    const [n, m] = s.split(':').map(Number);
    if (!(Number.isInteger(n) && Number.isInteger(m) && (SUPPORTED_M as readonly number[]).includes(m!) && n! >= 1 && n! < m!)) {
      throw new Error(`bad N:M pattern "${s}": use N:M with M in ${SUPPORTED_M.join(', ')} and 1 ≤ N < M, e.g. 2:4`);
    }
    return [n!, m!] as [number, number];
  });
}

export function parseOps(text: string): BenchOp[] {
  const ops = list(text);
  const bad = ops.filter((o) => !(ALL_OPS as readonly string[]).includes(o));
  if (bad.length) throw new Error(`unknown op ${bad.join(', ')}: use ${ALL_OPS.join(', ')}`);
  if (ops.length === 0) throw new Error('choose at least one op');
  return ALL_OPS.filter((o) => ops.includes(o));
}

function parseInteger(text: string, name: string, min: number): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${text}"`);
  return v;
}

function parseFlag(text: string, name: string): boolean {
  if (['1', 'true', 'yes', 'on', ''].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new Error(`${name} must be 0 or 1, got "${text}"`);
}

/** Parameters from a query string; unknown keys are ignored, bad values reported (and left at their defaults). */
export function parseParams(search: URLSearchParams): { params: BenchParams; errors: string[] } {
  const errors: string[] = [];
  const presetText = search.get('preset');
  if (presetText !== null && presetText !== 'quick' && presetText !== 'full') errors.push(`preset must be quick or full, got "${presetText}"`);
  const params = defaultParams(presetText === 'full' ? 'full' : 'quick');
  const field = <K extends keyof BenchParams>(key: K, name: string, parse: (text: string) => BenchParams[K]) => {
    const text = search.get(name);
    if (text === null) return;
    try {
      params[key] = parse(text);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  };
  field('shapes', 'shapes', parseShapes);
  field('cpuShape', 'cpuShape', parseShape);
  field('sparsities', 'sparsities', parseSparsities);
  field('nm', 'nm', parseNm);
  field('ops', 'ops', parseOps);
  field('runs', 'runs', (t) => parseInteger(t, 'runs', 10));
  field('warmups', 'warmups', (t) => parseInteger(t, 'warmups', 0));
  field('targetMs', 'targetMs', (t) => {
    const v = Number(t);
    if (!(v > 0 && v <= 10_000)) throw new Error(`targetMs must be a number of milliseconds in (0, 10000], got "${t}"`);
    return v;
  });
  field('peers', 'peers', (t) => parseFlag(t, 'peers'));
  field('evolve', 'evolve', (t) => parseFlag(t, 'evolve'));
  field('autorun', 'autorun', (t) => parseFlag(t, 'autorun'));
  return { params, errors };
}

/** The query string for `params`: only what differs from the preset's defaults (and autorun). */
export function paramsToSearch(params: BenchParams): URLSearchParams {
  const d = defaultParams(params.preset);
  const out = new URLSearchParams();
  if (params.preset !== 'quick') out.set('preset', params.preset);
  const put = (name: string, value: string, fallback: string) => {
    if (value !== fallback) out.set(name, value);
  };
  put('shapes', formatShapes(params.shapes), formatShapes(d.shapes));
  put('cpuShape', formatShape(params.cpuShape), formatShape(d.cpuShape));
  put('sparsities', formatSparsities(params.sparsities), formatSparsities(d.sparsities));
  put('nm', formatNm(params.nm), formatNm(d.nm));
  put('ops', params.ops.join(','), d.ops.join(','));
  put('runs', String(params.runs), String(d.runs));
  put('warmups', String(params.warmups), String(d.warmups));
  put('targetMs', String(params.targetMs), String(d.targetMs));
  put('peers', params.peers ? '1' : '0', d.peers ? '1' : '0');
  put('evolve', params.evolve ? '1' : '0', d.evolve ? '1' : '0');
  if (params.autorun) out.set('autorun', '1');
  return out;
}

/** The suite configuration: defaultConfig of the preset, overridden by `params`. */
export function toSuiteConfig(params: BenchParams): SuiteConfig {
  const config = defaultConfig(params.preset === 'quick');
  config.shapes = params.shapes;
  config.cpuShape = params.cpuShape;
  config.sparsities = params.sparsities;
  config.nm = params.nm;
  config.ops = params.ops;
  config.timing = { ...config.timing, runs: params.runs, warmups: params.warmups, targetRunMs: params.targetMs };
  if (!params.evolve) config.evolve = [];
  return config;
}
