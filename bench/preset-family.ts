// Option families that start from a preset: the benchmark's (quick, full)
// and training's (reference, quick, small). Each program starts from its own
// preset when none is given, the options given override that preset's
// defaults, and a page link names the preset only when it is not the page's
// own. The benchmark and training differ only in their lists, presets and
// checks, so one reading of a command line and of a URL serves both.
import { expandShorthands, readArgv, readSearch, throwFirst, usage, writeSearch, type OptionError, type OptionProgram, type OptionSpecs } from './options-core.js';

export interface PresetFamily<V extends { preset: string }> {
  specs: OptionSpecs<V>;
  /** How messages name each program (`npm run bench`, `the benchmark page`). */
  programs: Record<OptionProgram, string>;
  /** The preset each program starts from when none is given. */
  defaultPreset: Record<OptionProgram, V['preset']>;
  /** The defaults that the given options override: the preset's (training's --task select brings its own). */
  defaults(preset: V['preset'], given: Partial<V>): V;
  /** Checks across options, for the program that will use them. */
  check(options: V, program: OptionProgram): OptionError[];
  /** The page: puts back a default where a check refused the value, so that the page still has something it can run. */
  repair?(options: V, refused: readonly OptionError[]): void;
}

/** `--quick` is `--preset quick`, as before presets had names. */
export const QUICK_SHORTHAND = { '--quick': ['--preset', 'quick'] } as const;

/** What a family's programs read and write: a command line, a URL, a page link, --help. */
export interface PresetReaders<V> {
  /** The CLI's options; throws the first OptionError (naming the option). */
  parseArgv(argv: readonly string[]): V;
  /** The page's options from its URL: every unknown or bad parameter is reported (and left at its default). */
  parseSearch(search: URLSearchParams): { options: V; errors: OptionError[] };
  /** The page's query string: what differs from the preset's defaults, and the preset itself unless it is where the page starts. */
  toSearch(values: V): URLSearchParams;
  /** The CLI's --help, with the defaults of the CLI's preset. */
  usage: string;
}

/** The readers of `family`, whose CLI is `command` and whose --help ends with `notes`. */
export function presetReaders<V extends { preset: string }>(family: PresetFamily<V>, command: string, notes: string[]): PresetReaders<V> {
  const resolve = (given: Partial<V>, program: OptionProgram): V => {
    const preset = given.preset ?? family.defaultPreset[program];
    return { ...family.defaults(preset, given), ...given, preset };
  };
  return {
    parseArgv(argv) {
      const options = resolve(readArgv(family.specs, expandShorthands(argv, QUICK_SHORTHAND), family.programs), 'cli');
      throwFirst(family.check(options, 'cli'));
      return options;
    },
    parseSearch(search) {
      const { given, errors } = readSearch(family.specs, search, family.programs);
      const options = resolve(given, 'page');
      const cross = family.check(options, 'page');
      family.repair?.(options, cross);
      return { options, errors: [...errors, ...cross] };
    },
    toSearch(values) {
      const search = writeSearch(family.specs, values, family.defaults(values.preset, {}));
      if (values.preset === family.defaultPreset.page) search.delete('preset');
      else search.set('preset', values.preset);
      return search;
    },
    usage: usage(family.specs, command, family.defaults(family.defaultPreset.cli, {}), { shorthands: QUICK_SHORTHAND, notes }),
  };
}
