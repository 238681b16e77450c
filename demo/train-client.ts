// The page's side of the training worker: requests as promises, training
// events to a callback, stop, and the worker's start and device loss.
import type { DeviceInfo, FromWorker, Reply, Request, ToWorker, TrainEvent } from './train-protocol.js';

/** A request the worker answered with an error: `name` is the error's class there (e.g. ModelFormatError). */
export class WorkerError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = errorName;
  }
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  onEvent: ((event: TrainEvent) => void) | undefined;
}

type ReplyOf<T extends Reply['type']> = Extract<Reply, { type: T }>;
const REPLY_TYPE = { train: 'trained', predict: 'prediction', save: 'saved', export: 'exported', load: 'loaded' } as const satisfies Record<Request['type'], Reply['type']>;

export class TrainClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly ready: Promise<DeviceInfo>;

  constructor(onDeviceLost: (message: string) => void) {
    this.worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'wgsparse-train' });
    let settle!: { resolve: (info: DeviceInfo) => void; reject: (e: Error) => void };
    this.ready = new Promise<DeviceInfo>((resolve, reject) => (settle = { resolve, reject }));
    this.ready.catch(() => {}); // reported through ready and every request
    const failAll = (error: Error) => {
      settle.reject(error);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    this.worker.addEventListener('message', (event: MessageEvent<FromWorker>) => {
      const m = event.data;
      switch (m.type) {
        case 'ready':
          settle.resolve(m.info);
          break;
        case 'start-failed':
          failAll(new Error(`the training worker could not start an engine: ${m.message}`));
          break;
        case 'event':
          this.pending.get(m.id)?.onEvent?.(m.event);
          break;
        case 'reply':
          this.pending.get(m.id)?.resolve(m.reply);
          this.pending.delete(m.id);
          break;
        case 'failed':
          this.pending.get(m.id)?.reject(new WorkerError(m.name, m.message));
          this.pending.delete(m.id);
          break;
        case 'device-lost':
          onDeviceLost(m.message);
          break;
      }
    });
    this.worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      failAll(new Error(`the training worker failed: ${event.message || 'could not load the worker script'}`));
    });
  }

  request<R extends Request>(request: R, onEvent?: (event: TrainEvent) => void, transfer: Transferable[] = []): Promise<ReplyOf<(typeof REPLY_TYPE)[R['type']]>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: Reply) => void, reject, onEvent });
      this.worker.postMessage({ type: 'request', id, request } satisfies ToWorker, transfer);
    });
  }

  /** Stops a training run (between batches) or a model load; the request still answers. */
  stop(): void {
    this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
  }
}
