// The machinery shared by the option modules of the benchmark
// (bench/bench-options.ts) and of training (bench/train-options.ts): one list
// of options per program family, read from a command line (`--cpu-shape
// 64x64x8`), from a URL's query string (`cpuShape=64x64x8`) and from a form
// (the field named `cpuShape`), with the same parsers, hence the same
// defaults and the same messages, everywhere.

/** Where an option is accepted: both programs of a family, or one of them. */
export type OptionScope = 'both' | 'cli' | 'page';

/** Which program is reading the options. */
export type OptionProgram = 'cli' | 'page';

/** A value that an option refused, or an option that does not exist; names the option. */
export class OptionError extends Error {
  override name = 'OptionError';
  /**
   * @param option the option as the user wrote it (`--runs`, `runs`) or, for
   *   a bad value, its canonical name
   * @param problem what is wrong, the same text on the command line and the page
   */
  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`${option}: ${problem}`);
  }
}

/** Thrown by an option's parser; the reader turns it into an OptionError naming the option. */
export class BadValue extends Error {
  override name = 'BadValue';
}

export interface OptionSpec<V, K extends keyof V = keyof V> {
  /** The canonical name: URL parameter, form field and key of the options object; `--kebab-case` on the command line. */
  key: K;
  scope: OptionScope;
  /** A boolean: `--x` / `--no-x` on the command line, `x=1` / `x=0` in a URL, a checkbox in a form. */
  flag?: boolean;
  /** Each occurrence adds to a list (e.g. `--note`) instead of replacing the value. */
  repeatable?: boolean;
  /** The value's placeholder in --help, e.g. `N` or `RxCxB,…`. */
  placeholder?: string;
  help: string;
  /** --help's default when the value's written form would not say it (e.g. a path computed at run time). */
  shownDefault?: string;
  /** Other names accepted for the same option (kept so that older command lines and links work). */
  aliases?: { cli?: string[]; url?: string[] };
  /** Parses one written value; throws BadValue with a message that does not repeat the option's name. */
  parse(text: string): V[K];
  /** The written form of a value, parsed back by `parse` (URL and form). */
  format(value: V[K]): string;
}

export type OptionSpecs<V> = ReadonlyArray<{ [K in keyof V]: OptionSpec<V, K> }[keyof V]>;

/** `cpuShape` → `--cpu-shape`. */
export const cliName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const accepts = (spec: { scope: OptionScope }, program: OptionProgram): boolean => spec.scope === 'both' || spec.scope === program;

const programName = (program: OptionProgram, programs: Record<OptionProgram, string>): string => programs[program];

function apply<V>(spec: OptionSpec<V>, given: Partial<V>, text: string): void {
  let value: V[keyof V];
  try {
    value = spec.parse(text);
  } catch (e) {
    if (e instanceof BadValue) throw new OptionError(String(spec.key), e.message);
    throw e;
  }
  if (spec.repeatable) {
    const before = (given[spec.key] as unknown[] | undefined) ?? [];
    given[spec.key] = [...before, ...(value as unknown[])] as V[keyof V];
  } else {
    given[spec.key] = value;
  }
}

/** A close known name for a mistyped one (edit distance ≤ 2), for the error message. */
function suggest(name: string, known: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    return d[a.length]![b.length]!;
  };
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(name, k);
    if (d <= Math.max(2, Math.ceil(name.replace(/^-+/, '').length / 3)) && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

/** Replaces shorthand arguments (`--quick` → `--preset quick`); later options still win over earlier ones. */
export function expandShorthands(argv: readonly string[], shorthands: Record<string, readonly string[]>): string[] {
  return argv.flatMap((a) => (Object.hasOwn(shorthands, a) ? [...shorthands[a]!] : [a]));
}

/**
 * The options given on a command line (only those; defaults are the family
 * module's business). Accepts `--name value`, `--name=value`, `--flag`,
 * `--no-flag`. Throws OptionError for an unknown option (naming it), an
 * option of the other program, a missing or bad value.
 */
export function readArgv<V>(specs: OptionSpecs<V>, argv: readonly string[], programs: Record<OptionProgram, string>): Partial<V> {
  const byName = new Map<string, { spec: OptionSpec<V>; negated: boolean }>();
  for (const spec of specs as ReadonlyArray<OptionSpec<V>>) {
    const names = [cliName(String(spec.key)), ...(spec.aliases?.cli ?? [])];
    for (const n of names) {
      byName.set(n, { spec, negated: false });
      if (spec.flag) byName.set(n.replace(/^--/, '--no-'), { spec, negated: true });
    }
  }
  const given: Partial<V> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const found = byName.get(name);
    if (!found) {
      if (!arg.startsWith('-')) throw new OptionError(arg, `not an option (options start with --; see --help)`);
      const near = suggest(name, [...byName.keys()]);
      throw new OptionError(name, `unknown option${near ? ` (did you mean ${near}?)` : ''}; see --help`);
    }
    const { spec, negated } = found;
    if (!accepts(spec, 'cli')) throw new OptionError(name, `an option of ${programName('page', programs)} only`);
    if (spec.flag) {
      const text = eq > 0 ? arg.slice(eq + 1) : negated ? '0' : '1';
      if (eq > 0 && negated) throw new OptionError(name, 'takes no value');
      apply(spec, given, text);
      continue;
    }
    let text: string | undefined;
    if (eq > 0) text = arg.slice(eq + 1);
    else {
      text = argv[i + 1];
      if (text === undefined || (text.startsWith('--') && byName.has(text.split('=')[0]!))) throw new OptionError(name, `needs a value${spec.placeholder ? ` (${spec.placeholder})` : ''}`);
      i++;
    }
    apply(spec, given, text);
  }
  return given;
}

/**
 * The options given in a query string. Collects every problem instead of
 * stopping at the first (the page lists them all): unknown parameters, those
 * of the other program, bad values.
 */
export function readSearch<V>(specs: OptionSpecs<V>, search: URLSearchParams, programs: Record<OptionProgram, string>): { given: Partial<V>; errors: OptionError[] } {
  const byName = new Map<string, OptionSpec<V>>();
  for (const spec of specs as ReadonlyArray<OptionSpec<V>>) for (const n of [String(spec.key), ...(spec.aliases?.url ?? [])]) byName.set(n, spec);
  const given: Partial<V> = {};
  const errors: OptionError[] = [];
  for (const [name, text] of search) {
    const spec = byName.get(name);
    try {
      if (!spec) {
        const near = suggest(name, [...byName.keys()]);
        throw new OptionError(name, `unknown parameter${near ? ` (did you mean ${near}?)` : ''}`);
      }
      if (!accepts(spec, 'page')) throw new OptionError(name, `an option of ${programName('cli', programs)} only`);
      apply(spec, given, text);
    } catch (e) {
      if (!(e instanceof OptionError)) throw e;
      errors.push(e);
    }
  }
  return { given, errors };
}

/** Parses one written value of one option (a form field); throws OptionError naming it. */
export function readValue<V, K extends keyof V>(spec: OptionSpec<V, K>, text: string): V[K] {
  try {
    return spec.parse(text);
  } catch (e) {
    if (e instanceof BadValue) throw new OptionError(String(spec.key), e.message);
    throw e;
  }
}

/** The query string of `values`: the page's options that differ from `defaults`. */
export function writeSearch<V>(specs: OptionSpecs<V>, values: V, defaults: V, always: ReadonlyArray<keyof V> = []): URLSearchParams {
  const out = new URLSearchParams();
  for (const spec of specs as ReadonlyArray<OptionSpec<V>>) {
    if (!accepts(spec, 'page')) continue;
    const text = spec.format(values[spec.key]);
    if (always.includes(spec.key) || text !== spec.format(defaults[spec.key])) out.set(String(spec.key), text);
  }
  return out;
}

/** A command line stops at its first problem: the first of the checks across options is thrown, as readArgv throws its own. */
export function throwFirst(errors: readonly OptionError[]): void {
  const [first] = errors;
  if (first) throw first;
}

/** The command line's --help: every option the CLI accepts, with its default. */
export function usage<V>(specs: OptionSpecs<V>, command: string, defaults: V, extra: { shorthands?: Record<string, readonly string[]>; notes?: string[] } = {}): string {
  const notes = extra.notes ?? [];
  const rows: Array<[string, string]> = [];
  for (const spec of specs as ReadonlyArray<OptionSpec<V>>) {
    if (!accepts(spec, 'cli')) continue;
    const name = cliName(String(spec.key));
    const left = spec.flag ? `${name}, ${name.replace(/^--/, '--no-')}` : `${name} ${spec.placeholder ?? 'VALUE'}`;
    const shown = spec.format(defaults[spec.key]);
    const def = spec.shownDefault ?? (spec.flag ? (defaults[spec.key] ? 'on' : 'off') : shown === '' ? 'none' : shown);
    const also = spec.aliases?.cli?.length ? ` (also ${spec.aliases.cli.join(', ')})` : '';
    rows.push([left, `${spec.help}${also} [default: ${def}]`]);
  }
  for (const [short, long] of Object.entries(extra.shorthands ?? {})) rows.push([short, `the same as ${long.join(' ')}`]);
  rows.push(['--help', 'this list']);
  // Long option names put their help on the next line rather than pushing every row right.
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length))) + 2;
  const line = ([l, r]: [string, string]) => (l.length > width - 2 ? `  ${l}\n  ${' '.repeat(width)}${r}` : `  ${l.padEnd(width)}${r}`);
  return [`${command} [options]`, ...rows.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/**
 * A command's start, the same in every CLI: `--help` prints the usage (exit
 * 0), a bad or unknown option prints its message and the usage (exit 2);
 * otherwise the parsed options.
 */
export function readCommandLine<O>(argv: readonly string[], parse: (argv: string[]) => O, usageText: string): { options: O } | { exit: number } {
  if (argv.includes('--help')) {
    console.log(usageText);
    return { exit: 0 };
  }
  try {
    return { options: parse([...argv]) };
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    console.error(`${e.message}\n\n${usageText}`);
    return { exit: 2 };
  }
}

// ---------------------------------------------------------------------------
// Parsers shared by both families

export const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function parseInteger(text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    throw new BadValue(max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}, got "${text}"` : `must be an integer in [${min}, ${max}], got "${text}"`);
  }
  return v;
}

/** A number in [min, max], either end open on request. */
export function parseNumber(text: string, range: { min: number; max: number; openLow?: boolean; openHigh?: boolean }): number {
  const v = Number(text);
  const low = range.openLow ? v > range.min : v >= range.min;
  const high = range.openHigh ? v < range.max : v <= range.max;
  if (text.trim() === '' || !Number.isFinite(v) || !low || !high) {
    throw new BadValue(`must be a number in ${range.openLow ? '(' : '['}${range.min}, ${range.max}${range.openHigh ? ')' : ']'}, got "${text}"`);
  }
  return v;
}

export function parseFlag(text: string): boolean {
  if (['1', 'true', 'yes', 'on', ''].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new BadValue(`must be 0 or 1, got "${text}"`);
}

export const formatFlag = (v: boolean): string => (v ? '1' : '0');

export function parseChoice<T extends string>(text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw new BadValue(`must be one of ${choices.join(', ')}, got "${text}"`);
  return text as T;
}

/**
 * Hidden-layer widths separated by -, comma, x or spaces (`300-300` and
 * `1000,1000,1000` alike): 1 to `layers` of 1 … `width`; `example` ends the
 * message (e.g. `300-300`).
 */
export function parseLayerWidths(text: string, limits: { layers: number; width: number }, example: string): number[] {
  const widths = text
    .trim()
    .split(/[-,x×\s]+/)
    .filter((s) => s !== '')
    .map(Number);
  if (widths.length < 1 || widths.length > limits.layers || !widths.every((w) => Number.isInteger(w) && w >= 1 && w <= limits.width)) {
    throw new BadValue(`"${text}": give 1 to ${limits.layers} widths of 1 … ${limits.width}, e.g. ${example}`);
  }
  return widths;
}

// ---------------------------------------------------------------------------
// Parse-and-format pairs shared by both families, spread into a spec:
// `{ key: 'lr', …, ...numberOption({ min: 0, max: 10, openLow: true }) }`.
// Each pairs a parser with the format it reads back, so a URL or form
// written from a value parses to the same value.

export const numberOption = (range: Parameters<typeof parseNumber>[1]) => ({ parse: (t: string) => parseNumber(t, range), format: String });

export const integerOption = (min: number, max?: number) => ({ parse: (t: string) => parseInteger(t, min, max), format: String });

/** A boolean: `--x` / `--no-x`, `x=1` / `x=0`, a checkbox. */
export const flagOption = { flag: true, parse: parseFlag, format: formatFlag } as const;

/** One of `choices`, which --help lists as the placeholder (`cpu|webgpu|auto`). */
export const choiceOption = <T extends string>(choices: readonly T[]) => ({ placeholder: choices.join('|'), parse: (t: string) => parseChoice(t, choices), format: (v: T): string => v });

/** Free text taken as written (a path, a directory). */
export const textOption = { parse: (t: string): string => t, format: (v: string): string => v } as const;

/** `--note TEXT` (repeatable): notes a CLI stores in its results file. */
export const notesOption = { scope: 'cli', repeatable: true, placeholder: 'TEXT', help: 'a note stored in the results file (repeatable)', parse: (t: string) => [t], format: (v: string[]) => v.join('; ') } as const;

/** "1 epoch", "2 epochs". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n.toLocaleString('en')} ${n === 1 ? word : many}`;
