/**
 * One option module per program family: the benchmark CLI and page
 * (bench/bench-options.ts), the training CLI and page (bench/train-options.ts)
 * take the same options under the same names, with the same defaults and the
 * same messages; unknown options are refused by name; --help lists them all.
 */
import { describe, expect, test, vi } from 'vitest';
import {
  BENCH_OPTIONS,
  BENCH_USAGE,
  benchOptionsToSearch,
  defaultOptions,
  parseBenchArgv,
  parseBenchSearch,
  toSuiteConfig,
  type BenchOptions,
} from '../bench/bench-options.js';
import { cliName, OptionError, plural } from '../bench/options-core.js';
import { createEpochProgress } from '../bench/progress.js';
import { defaultTrainOptions, parseTrainArgv, parseTrainSearch, TRAIN_OPTIONS, TRAIN_USAGE, trainOptionsToSearch } from '../bench/train-options.js';
import { main as benchMain } from '../bench/cli.js';
import { main as trainMain } from '../bench/train-cli.js';
import { defaultParams, paramsToSearch, parseParams } from '../demo/train-params.js';

/**
 * A bad value is refused on the command line (`--flag value`) and on the page
 * (`?key=value`) with one and the same message, naming the option.
 */
function expectSameRefusal(parseArgv: (argv: string[]) => unknown, parseSearch: (search: URLSearchParams) => { errors: OptionError[] }, flag: string, key: string, value: string): void {
  const cli = optionError(() => parseArgv([flag, value]));
  const page = parseSearch(new URLSearchParams({ [key]: value })).errors;
  expect(page.map((e) => e.message), `${key}=${value}`).toEqual([cli.message]);
  expect(cli.option).toBe(key);
  expect(page[0]!.option).toBe(key);
  expect(cli.message.startsWith(`${key}: `)).toBe(true);
}

/** The OptionError thrown by `run`. */
function optionError(run: () => unknown): OptionError {
  try {
    run();
  } catch (e) {
    if (e instanceof OptionError) return e;
    throw e;
  }
  throw new Error('no OptionError thrown');
}

const PAGE_ONLY_BENCH = ['autorun', 'worker'] as const;
const withoutProgramFields = (o: BenchOptions) => {
  const { out: _out, autorun: _autorun, worker: _worker, ...rest } = o;
  return rest;
};

describe('benchmark options (npm run bench and /demo/bench.html)', () => {
  test('the CLI takes what the page takes: sparsities, N:M patterns, the CPU shape, warm-ups, target time', () => {
    const cli = parseBenchArgv(['--quick', '--shapes', '128x128x16', '--cpu-shape', '64x64x8', '--sparsities', '0.9,0.5', '--nm', '2:4,1:8', '--ops', 'forward', '--runs', '11', '--warmups', '1', '--target-ms', '5', '--no-peers', '--no-evolve']);
    const page = parseBenchSearch(new URLSearchParams('preset=quick&shapes=128x128x16&cpuShape=64x64x8&sparsities=0.9,0.5&nm=2:4,1:8&ops=forward&runs=11&warmups=1&targetMs=5&peers=0&evolve=0'));
    expect(page.errors).toEqual([]);
    expect(withoutProgramFields(cli)).toEqual(withoutProgramFields(page.options));
    expect(cli).toMatchObject({ cpuShape: { rows: 64, cols: 64, batch: 8 }, sparsities: [0.5, 0.9], nm: [[2, 4], [1, 8]], peers: false, evolve: false });
    const config = toSuiteConfig(cli);
    expect(config.cpuShape).toEqual({ rows: 64, cols: 64, batch: 8 });
    expect(config.sparsities).toEqual([0.5, 0.9]);
    expect(config.nm).toEqual([[2, 4], [1, 8]]);
    expect(config.timing).toMatchObject({ runs: 11, warmups: 1, targetRunMs: 5 });
    expect(config.evolve).toEqual([]);
  });

  test('--name=value and --name value are the same; --quick is --preset quick', () => {
    expect(parseBenchArgv(['--runs=12', '--quick'])).toEqual(parseBenchArgv(['--preset', 'quick', '--runs', '12']));
  });

  test('defaults: each program starts from its preset, and a preset means the same defaults in both', () => {
    expect(parseBenchArgv([])).toEqual(defaultOptions('full'));
    expect(parseBenchSearch(new URLSearchParams('')).options).toEqual(defaultOptions('quick'));
    expect(withoutProgramFields(parseBenchArgv(['--quick']))).toEqual(withoutProgramFields(parseBenchSearch(new URLSearchParams('')).options));
    expect(withoutProgramFields(parseBenchArgv([]))).toEqual(withoutProgramFields(parseBenchSearch(new URLSearchParams('preset=full')).options));
  });

  test('a bad value gets the same message on the command line and on the page, naming the option', () => {
    for (const [flag, key, value] of [
      ['--runs', 'runs', '5'],
      ['--sparsities', 'sparsities', '0.9,1.5'],
      ['--nm', 'nm', '3:3'],
      ['--cpu-shape', 'cpuShape', '64x64'],
      ['--ops', 'ops', 'forward,sideways'],
      ['--target-ms', 'targetMs', '0'],
      ['--preset', 'preset', 'medium'],
    ] as const) {
      expectSameRefusal(parseBenchArgv, parseBenchSearch, flag, key, value);
    }
  });

  test('unknown options are refused, naming them (with a suggestion when one is close)', () => {
    const e = optionError(() => parseBenchArgv(['--sparsity', '0.9']));
    expect(e.option).toBe('--sparsity');
    expect(e.message).toContain('unknown option');
    expect(e.message).toContain('--sparsities');
    expect(optionError(() => parseBenchArgv(['--bogus'])).message).toMatch(/^--bogus: unknown option/);
    expect(optionError(() => parseBenchArgv(['stray'])).option).toBe('stray');
    expect(optionError(() => parseBenchArgv(['--runs'])).message).toContain('needs a value');
    // Page-only options on the command line, CLI-only ones in the URL: refused with the program that takes them.
    expect(optionError(() => parseBenchArgv(['--autorun'])).message).toContain('the benchmark page only');
    const url = parseBenchSearch(new URLSearchParams('out=x.json&sparsity=0.9'));
    expect(url.errors.map((x) => x.message)).toEqual(['out: an option of npm run bench only', 'sparsity: unknown parameter (did you mean sparsities?)']);
  });

  test('--help lists every option the CLI takes, with its default', () => {
    for (const spec of BENCH_OPTIONS) {
      if ((PAGE_ONLY_BENCH as readonly string[]).includes(String(spec.key))) expect(BENCH_USAGE).not.toContain(cliName(String(spec.key)));
      else expect(BENCH_USAGE, String(spec.key)).toContain(cliName(String(spec.key)));
    }
    expect(BENCH_USAGE).toContain('--quick');
    expect(BENCH_USAGE).toContain('--no-peers');
    expect(BENCH_USAGE).toMatch(/--runs N\s+timed runs per case \(≥ 10\) \[default: 10\]/);
  });

  test('the URL written by the page reads back as the same options', () => {
    const o: BenchOptions = { ...defaultOptions('quick'), shapes: [{ rows: 64, cols: 64, batch: 8 }], sparsities: [0.8], nm: [], ops: ['forward', 'sddmm'], runs: 11, peers: false, autorun: true, worker: false };
    const search = benchOptionsToSearch(o);
    expect(search.get('preset')).toBeNull();
    expect(search.get('worker')).toBe('0');
    expect(parseBenchSearch(search)).toEqual({ options: o, errors: [] });
    const full = { ...defaultOptions('full'), runs: 12 };
    expect(parseBenchSearch(benchOptionsToSearch(full)).options).toEqual(full);
  });

  test('the bench CLI exits 2 with the message for a bad option, 0 for --help', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const logs = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await benchMain(['--sparsity', '0.9'])).toBe(2);
      expect(String(errors.mock.calls[0]?.[0])).toMatch(/^--sparsity: unknown option \(did you mean --sparsities\?\)/);
      expect(await benchMain(['--help'])).toBe(0);
      expect(String(logs.mock.calls[0]?.[0])).toContain('--cpu-shape RxCxB');
    } finally {
      errors.mockRestore();
      logs.mockRestore();
    }
  });
});

describe('training options (npm run train and /demo/train.html)', () => {
  test('hidden sizes: 300-300 and 1000,1000,1000 on the command line and on the page alike', () => {
    for (const text of ['300-300', '300,300', '1000,1000,1000', '1000-1000-1000']) {
      const widths = text.split(/[-,]/).map(Number);
      expect(parseTrainArgv(['--hidden', text]).hidden).toEqual(widths);
      const page = parseParams(new URLSearchParams({ hidden: text }));
      expect(page.errors).toEqual([]);
      expect(page.params.hidden).toEqual(widths);
    }
    const cli = optionError(() => parseTrainArgv(['--hidden', '1000-1000-1000-1000']));
    const page = parseTrainSearch(new URLSearchParams({ hidden: '1000-1000-1000-1000' })).errors[0]!;
    expect(cli.message).toBe(page.message);
    expect(cli.message).toContain('give 1 to 3 widths');
  });

  test('the same names in both: data, train, test, weightDecay (CLI --data, --train, --weight-decay; the old --dataset and --train-samples still work)', () => {
    const cli = parseTrainArgv(['--data', 'synthetic', '--train', '2000', '--test', '500', '--variant', 'nm-2:4', '--epochs', '3', '--batch', '16', '--seed', '4', '--lr', '0.05', '--zeta', '0.2', '--epsilon', '10', '--dropout', '0.1']);
    const page = parseTrainSearch(new URLSearchParams('data=synthetic&train=2000&test=500&variant=nm-2:4&epochs=3&batch=16&seed=4&lr=0.05&zeta=0.2&epsilon=10&dropout=0.1&preset=reference'));
    expect(page.errors).toEqual([]);
    expect(page.options).toEqual(cli);
    expect(parseTrainArgv(['--dataset', 'mnist', '--train-samples', '2000'])).toEqual(parseTrainArgv(['--data', 'mnist', '--train', '2000']));
  });

  test('defaults: the CLI starts from the reference preset, the page from small; a preset means the same defaults in both', () => {
    expect(parseTrainArgv([])).toEqual(defaultTrainOptions('reference'));
    expect(parseTrainArgv([])).toMatchObject({ hidden: [1000, 1000, 1000], epochs: 100, batch: 128, epsilon: 20, zeta: 0.3, lr: 0.01, dropout: 0.3, seed: 1 });
    expect(parseTrainArgv(['--quick']).epochs).toBe(4);
    expect(parseTrainSearch(new URLSearchParams('')).options).toEqual(defaultTrainOptions('small'));
    expect(defaultParams()).toMatchObject({ hidden: [300, 300], epochs: 10, batch: 32, train: 10_000, test: 10_000, data: 'mnist', variant: 'set-csr' });
    expect(parseTrainArgv(['--preset', 'small'])).toEqual(defaultTrainOptions('small'));
  });

  test('a bad value gets the same message on both; unknown and other-program options are refused by name', () => {
    for (const [flag, key, value] of [
      ['--epochs', 'epochs', '0'],
      ['--variant', 'variant', 'sparse'],
      ['--zeta', 'zeta', '2'],
      ['--data', 'data', 'cifar'],
      ['--seed', 'seed', '-1'],
    ] as const) {
      expectSameRefusal(parseTrainArgv, parseTrainSearch, flag, key, value);
    }
    expect(optionError(() => parseTrainArgv(['--hiden', '30'])).message).toBe('--hiden: unknown option (did you mean --hidden?); see --help');
    expect(optionError(() => parseTrainArgv(['--autorun'])).message).toContain('the training page only');
    expect(parseTrainSearch(new URLSearchParams('backend=cpu')).errors[0]!.message).toBe('backend: an option of npm run train only');
    // What only one program can do with a valid value.
    expect(parseTrainSearch(new URLSearchParams('variant=all')).errors[0]!.message).toContain('the page trains one variant at a time');
    expect(parseTrainSearch(new URLSearchParams('data=idx')).errors[0]!.message).toContain('needs --data-dir');
    expect(optionError(() => parseTrainArgv(['--data', 'idx'])).message).toContain('needs --data-dir');
  });

  test('--profile: a CLI flag for the CPU classification run; WebGPU and --task select are refused by name', () => {
    expect(parseTrainArgv([]).profile).toBe(false);
    expect(parseTrainArgv(['--profile']).profile).toBe(true);
    expect(parseTrainArgv(['--profile', '--backend', 'cpu']).profile).toBe(true);
    expect(optionError(() => parseTrainArgv(['--profile', '--backend', 'webgpu'])).message).toBe(
      "profile: times the CPU backend's training phases; on WebGPU a batch is one recorded submission (use --backend cpu)",
    );
    expect(optionError(() => parseTrainArgv(['--profile', '--task', 'select'])).message).toContain('--task classify');
    expect(parseTrainSearch(new URLSearchParams('profile')).errors[0]!.message).toBe('profile: an option of npm run train only');
  });

  test('--help lists every option the CLI takes', () => {
    for (const spec of TRAIN_OPTIONS) {
      if (spec.scope === 'page') expect(TRAIN_USAGE).not.toContain(cliName(String(spec.key)));
      else expect(TRAIN_USAGE, String(spec.key)).toContain(cliName(String(spec.key)));
    }
    expect(TRAIN_USAGE).toContain('--quick');
    expect(TRAIN_USAGE).toContain('--dataset');
  });

  test("the page's URL reads back as the same parameters", () => {
    const p = { ...defaultParams(), hidden: [48, 16], variant: 'nm-2:4' as const, data: 'synthetic' as const, autorun: true };
    const search = paramsToSearch(p);
    expect(search.toString()).toBe('data=synthetic&variant=nm-2%3A4&hidden=48-16&autorun=1');
    expect(parseParams(search)).toEqual({ params: p, errors: [] });
    expect(trainOptionsToSearch(defaultTrainOptions('small')).toString()).toBe('');
  });

  test('the train CLI exits 2 with a message naming the option, before loading anything', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await trainMain(['--hidden', '300-300', '--sparsities', '0.9'])).toBe(2);
      expect(String(errors.mock.calls[0]?.[0])).toMatch(/^--sparsities: unknown option/);
    } finally {
      errors.mockRestore();
    }
  });
});

describe('progress output (terminal or not)', () => {
  const fake = (isTTY: boolean) => {
    let text = '';
    return { stream: { isTTY, write: (t: string) => (text += t) }, text: () => text };
  };
  const oneEpoch = (progress: ReturnType<typeof createEpochProgress>) => {
    for (let b = 0; b < 5; b++) progress.batch(0, b, 5);
    progress.line('  epoch   1/1: done');
    progress.end();
  };

  test('not a terminal (CI logs, pipes): no carriage returns, one line per epoch', () => {
    const out = fake(false);
    oneEpoch(createEpochProgress(out.stream, 1, { minIntervalMs: 0 }));
    expect(out.text()).toBe('  epoch   1/1: done\n');
  });

  test('a terminal: a bar redrawn with \\r, then replaced by the epoch line', () => {
    const out = fake(true);
    oneEpoch(createEpochProgress(out.stream, 1, { minIntervalMs: 0 }));
    expect(out.text()).toContain('\r  epoch 1/1 ');
    expect(out.text()).toContain('100%');
    expect(out.text().endsWith('  epoch   1/1: done\n')).toBe(true);
  });

  test('plural', () => {
    expect(plural(1, 'epoch')).toBe('1 epoch');
    expect(plural(2, 'epoch')).toBe('2 epochs');
    expect(plural(0, 'case')).toBe('0 cases');
  });

  test('the train CLI on a pipe: one line per epoch, no \\r, "1 epoch"', async () => {
    const out = { isTTY: false, text: '', write(t: string) {
      this.text += t;
      return true;
    } };
    const logs: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
    const dir = await import('node:fs').then((fs) => fs.mkdtempSync(`${(globalThis.process.env.TMPDIR ?? '/tmp').replace(/\/$/, '')}/wgsparse-options-`));
    try {
      const argv = ['--data', 'synthetic', '--train', '200', '--test', '50', '--hidden', '16', '--epochs', '1', '--batch', '50', '--backend', 'cpu', '--out', `${dir}/r.json`];
      expect(await trainMain(argv, out)).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(out.text).not.toContain('\r');
    expect(out.text.trim().split('\n').filter((l) => /epoch\s+1\/1:/.test(l))).toHaveLength(1);
    const all = [...logs, out.text].join('\n');
    expect(all).toContain('1 epoch,');
    expect(all).toContain('after 1 epoch,');
    expect(all).not.toMatch(/\b1 epochs\b/);
  });
});
