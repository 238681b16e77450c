import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../src/index.js';
import { formatShapes, formatSparsities, parseShapes, parseSparsities } from './bench-options.js';
import { flagOption, integerOption, readArgv, readCommandLine, textOption, usage, type OptionSpecs } from './options-core.js';
import { compareProfiles, defaultProfilesConfig, formatProfiles, type ProfilesConfig } from './profiles.js';
import type { Shape } from './suite.js';

/**
 * `npm run bench:profiles` (and `bash bench/gpu/run.sh profiles` on a lent
 * GPU): both kernel profiles timed in turns on one adapter, beside the
 * model's predictions; prints a table and writes
 * bench/results/<date>-<adapter>-profiles.json.
 */
interface ProfilesOptions {
  quick: boolean;
  shapes: Shape[];
  sparsities: number[];
  runs: number;
  out: string;
}

const SPECS: OptionSpecs<ProfilesOptions> = [
  { key: 'quick', scope: 'cli', ...flagOption, help: 'one 512×512×64 shape and fewer runs (a dry run on SwiftShader)' },
  { key: 'shapes', scope: 'cli', placeholder: 'RxCxB,…', help: 'weights rows×cols, batch', parse: parseShapes, format: formatShapes },
  { key: 'sparsities', scope: 'cli', placeholder: 'S,…', help: 'CSR sparsities (dense and 2:4 always run)', parse: parseSparsities, format: formatSparsities },
  { key: 'runs', scope: 'cli', placeholder: 'N', help: 'timed runs per profile, taken in turns', ...integerOption(1, 1000) },
  { key: 'out', scope: 'cli', placeholder: 'FILE', help: 'the JSON file', shownDefault: 'bench/results/<date>-<adapter>-profiles.json', ...textOption },
];

function defaults(quick: boolean): ProfilesOptions {
  const c = defaultProfilesConfig(quick);
  return { quick, shapes: c.shapes, sparsities: c.sparsities, runs: c.timing.runs, out: '' };
}

export const PROFILES_USAGE = usage(SPECS, 'npm run bench:profiles --', defaults(false));

export function parseProfilesArgv(argv: string[]): ProfilesOptions {
  const given = readArgv(SPECS, argv, { cli: 'npm run bench:profiles', page: 'the benchmark page' });
  return { ...defaults(given.quick ?? false), ...given };
}

export async function main(argv: string[]): Promise<number> {
  const read = readCommandLine(argv, parseProfilesArgv, PROFILES_USAGE);
  if ('exit' in read) return read.exit;
  const options = read.options;
  const base = defaultProfilesConfig(options.quick);
  const config: ProfilesConfig = { ...base, shapes: options.shapes, sparsities: options.sparsities, timing: { ...base.timing, runs: options.runs } };

  const emulation = await createEngine({ backend: 'webgpu', kernels: 'emulation' });
  const gpu = await createEngine({ backend: 'webgpu', device: emulation.device!, kernels: 'gpu' });
  try {
    const a = gpu.adapterInfo;
    console.log(`WebGPU adapter: ${a?.vendor} ${a?.architecture} ${a?.description}`.trim());
    const started = performance.now();
    const report = await compareProfiles({ emulation, gpu }, config, ({ done, total, label, result }) =>
      console.log(`[${String(done).padStart(3)}/${total}] ${label}: emulation ${result.emulation.medianMs.toFixed(3)} ms, gpu ${result.gpu.medianMs.toFixed(3)} ms (${result.gpuSpeedup.toFixed(2)}×)`),
    );
    console.log(formatProfiles(report));
    const adapter = (report.adapter ? `${report.adapter.vendor}-${report.adapter.architecture}` : 'unknown').replace(/[^a-zA-Z0-9_-]+/g, '-');
    const out = options.out || join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'bench', 'results', `${report.date.slice(0, 10)}-${adapter}-profiles.json`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nwrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } finally {
    gpu.dispose();
    emulation.dispose();
  }
}
