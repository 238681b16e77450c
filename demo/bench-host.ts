// Where the page's benchmark runs: a dedicated worker (the default; the page
// stays responsive through long CPU cases) or the page itself (?worker=0).
import type { BenchReport } from '../bench/schema.js';
import type { SuiteProgress } from '../bench/suite.js';
import type { BenchOptions } from '../bench/bench-options.js';
import type { FromWorker, ToWorker } from './bench-protocol.js';
import { BenchRunner, type DeviceInfo } from './bench-runner.js';

export interface BenchHost {
  /** The device the benchmark will run on (re-created after stop()). */
  ready(): Promise<DeviceInfo>;
  run(params: BenchOptions, onProgress: (p: SuiteProgress) => void): Promise<BenchReport>;
  /** Stops a run; its run() promise rejects with StoppedError. */
  stop(): void;
}

export class StoppedError extends Error {
  constructor() {
    super('stopped');
    this.name = 'StoppedError';
  }
}

interface Pending {
  resolve: (r: BenchReport) => void;
  reject: (e: Error) => void;
  onProgress: (p: SuiteProgress) => void;
}

class WorkerHost implements BenchHost {
  private worker!: Worker;
  private readyPromise!: Promise<DeviceInfo>;
  private pending: Pending | undefined;

  constructor(private readonly onDeviceLost: (message: string) => void) {
    this.start();
  }

  private start(): void {
    const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module', name: 'wgsparse-bench' });
    this.worker = worker;
    let settleReady!: { resolve: (i: DeviceInfo) => void; reject: (e: Error) => void };
    let isReady = false;
    this.readyPromise = new Promise<DeviceInfo>((resolve, reject) => (settleReady = { resolve, reject }));
    this.readyPromise.catch(() => {}); // a rejection is reported through ready()/run()
    const fail = (error: Error) => {
      if (!isReady) settleReady.reject(error);
      const p = this.pending;
      this.pending = undefined;
      p?.reject(error);
    };
    worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      switch (m.type) {
        case 'ready':
          isReady = true;
          settleReady.resolve(m.info);
          break;
        case 'progress':
          this.pending?.onProgress(m.progress);
          break;
        case 'done': {
          const p = this.pending;
          this.pending = undefined;
          p?.resolve(m.report);
          break;
        }
        case 'error':
          fail(new Error(m.message));
          break;
        case 'device-lost':
          this.onDeviceLost(m.message);
          break;
      }
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      fail(new Error(`benchmark worker failed: ${event.message || 'could not load the worker script'}`));
    });
  }

  ready(): Promise<DeviceInfo> {
    return this.readyPromise;
  }

  async run(params: BenchOptions, onProgress: (p: SuiteProgress) => void): Promise<BenchReport> {
    await this.readyPromise;
    if (this.pending) throw new Error('a benchmark is already running');
    return new Promise<BenchReport>((resolve, reject) => {
      this.pending = { resolve, reject, onProgress };
      this.worker.postMessage({ type: 'run', params } satisfies ToWorker);
    });
  }

  stop(): void {
    // A CPU case may not yield for seconds: terminating is immediate.
    this.worker.terminate();
    const p = this.pending;
    this.pending = undefined;
    p?.reject(new StoppedError());
    this.start();
  }
}

class PageHost implements BenchHost {
  private readonly runner: Promise<BenchRunner>;
  private controller: AbortController | undefined;

  constructor(onDeviceLost: (message: string) => void) {
    this.runner = BenchRunner.create('page');
    this.runner.then((r) => r.deviceLost.then(onDeviceLost)).catch(() => {});
  }

  async ready(): Promise<DeviceInfo> {
    return (await this.runner).info;
  }

  async run(params: BenchOptions, onProgress: (p: SuiteProgress) => void): Promise<BenchReport> {
    const runner = await this.runner;
    const controller = new AbortController();
    this.controller = controller;
    try {
      return await runner.run(params, onProgress, controller.signal);
    } catch (e) {
      throw controller.signal.aborted ? new StoppedError() : e;
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }

  stop(): void {
    // Takes effect between cases (runSuite checks the signal before each).
    this.controller?.abort();
  }
}

export function createHost(inWorker: boolean, onDeviceLost: (message: string) => void): BenchHost {
  return inWorker && typeof Worker !== 'undefined' ? new WorkerHost(onDeviceLost) : new PageHost(onDeviceLost);
}
