// Messages between the benchmark page and its worker (plain, cloneable data).
import type { BenchReport } from '../bench/schema.js';
import type { SuiteProgress } from '../bench/suite.js';
import type { BenchParams } from './bench-params.js';
import type { DeviceInfo } from './bench-runner.js';

export type ToWorker = { type: 'run'; params: BenchParams };

export type FromWorker =
  | { type: 'ready'; info: DeviceInfo }
  | { type: 'progress'; progress: SuiteProgress }
  | { type: 'done'; report: BenchReport }
  | { type: 'error'; message: string }
  | { type: 'device-lost'; message: string };
