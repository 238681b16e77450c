// Messages between the training page and its worker (plain, cloneable data).
// Requests carry an id and are answered once, by a 'reply' or a 'failed' with
// that id; training also streams 'event's while its request is open.
import type { AdapterInfo, EpochLog, MlpVariant, ModelMetadata, ThreadsReason } from '../src/index.js';
import type { ExportFormat, ModelFileFormat } from './train-files.js';
import type { TrainParams } from './train-params.js';

/** Where the model runs, as the page states it. */
export interface DeviceInfo {
  backend: 'webgpu' | 'cpu';
  /** Why 'auto' chose the CPU (null when it did not). */
  fallbackReason: string | null;
  adapter: AdapterInfo | null;
  /** What the CPU backend's products run on (Engine.cpuKernels). */
  cpuKernels: 'wasm-simd' | 'javascript';
  /** The CPU backend's threads (Engine.threads; 1 on WebGPU) and, when it is 1 against the default, why. */
  threads: number;
  threadsReason: ThreadsReason | null;
}

/** The data a run trains and evaluates on. */
export interface DataInfo {
  source: 'mnist' | 'synthetic';
  /** Human-readable: where the samples came from. */
  description: string;
  train: number;
  test: number;
  seconds: number;
}

export interface ModelSummary {
  /** null for a loaded file that does not say. */
  variant: MlpVariant | null;
  /** Layer widths, input first. */
  sizes: number[];
  /** One line per linear layer, e.g. "784 → 300, CSR, 16,950 connections". */
  layers: string[];
  parameters: number;
  denseParameters: number;
}

/** The first layer per input pixel (784 numbers each): what the heat maps show. */
export interface FirstLayerMaps {
  /** Connections per input (Sequential.inputConnectivity()). */
  counts: Uint32Array;
  /** Σ |w| over each input's connections. */
  strength: Float32Array;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

export type Request =
  | { type: 'train'; params: TrainParams }
  | { type: 'predict'; pixels: Float32Array }
  | { type: 'save'; metadata: ModelMetadata }
  /** The model as ONNX or safetensors, through wgsparse/interop (imported by the worker on first use). */
  | { type: 'export'; format: ExportFormat }
  | { type: 'load'; bytes: ArrayBuffer; fileName: string; params: TrainParams };

export type Reply =
  | { type: 'trained'; stopped: boolean; epochs: number; evaluation: Evaluation | null; seconds: number }
  | { type: 'prediction'; probabilities: number[] }
  | { type: 'saved'; bytes: ArrayBuffer }
  | { type: 'exported'; format: ExportFormat; bytes: ArrayBuffer }
  /** `format`: what the file was read as; `metadata` is empty for ONNX and safetensors (they carry none of wgsparse's). */
  | { type: 'loaded'; format: ModelFileFormat; model: ModelSummary; metadata: ModelMetadata; maps: FirstLayerMaps; evaluation: Evaluation; data: DataInfo };

export type TrainEvent =
  | { kind: 'status'; text: string }
  | { kind: 'data'; data: DataInfo }
  | { kind: 'model'; model: ModelSummary; maps: FirstLayerMaps }
  | { kind: 'batch'; epoch: number; batch: number; batches: number; samples: number }
  | { kind: 'epoch'; log: EpochLog; maps: FirstLayerMaps };

export type ToWorker = { type: 'request'; id: number; request: Request } | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; info: DeviceInfo }
  | { type: 'start-failed'; message: string }
  | { type: 'event'; id: number; event: TrainEvent }
  | { type: 'reply'; id: number; reply: Reply }
  | { type: 'failed'; id: number; name: string; message: string }
  | { type: 'device-lost'; message: string };
