// Messages between the benchmark page and its worker (plain, cloneable data).
import type { BenchReport } from '../bench/schema.js';
import type { SuiteProgress } from '../bench/suite.js';
import type { BenchOptions } from '../bench/bench-options.js';
import type { DeviceInfo } from './bench-runner.js';

export type ToWorker = { type: 'run'; params: BenchOptions };

export type FromWorker =
  | { type: 'ready'; info: DeviceInfo }
  | { type: 'progress'; progress: SuiteProgress }
  | { type: 'done'; report: BenchReport }
  | { type: 'error'; message: string }
  | { type: 'device-lost'; message: string };
