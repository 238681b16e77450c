// Runs bench/suite.ts in the current realm (a worker or the page): one
// 'auto' engine (WebGPU where an adapter exists, else the CPU), one CPU
// engine, and the peers (tfjs-webgpu on the same device, tfjs-cpu, mathjs).
import { createMathjsPeer, createTfjsCpuPeer, createTfjsWebgpuPeer, type Peer } from '../bench/peers.js';
import type { BenchReport } from '../bench/schema.js';
import { runSuite, type SuiteProgress } from '../bench/suite.js';
import { createEngine, type AdapterInfo, type Engine } from '../src/index.js';
import { toSuiteConfig, type BenchOptions } from '../bench/bench-options.js';

/** What the page shows about where the benchmark runs. */
export interface DeviceInfo {
  backend: 'webgpu' | 'cpu';
  /** Why 'auto' chose the CPU (null when it did not). */
  fallbackReason: string | null;
  adapter: AdapterInfo | null;
  features: string[];
  limits: Record<string, number>;
  /** Where the suite runs: a dedicated worker or the page's main thread. */
  realm: 'worker' | 'page';
  /** What the CPU backend's products run on (Engine.cpuKernels). */
  cpuKernels: 'wasm-simd' | 'javascript';
}

export const KEY_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export class BenchRunner {
  private running = false;

  private constructor(
    private readonly gpu: Engine,
    private readonly cpu: Engine,
    readonly info: DeviceInfo,
  ) {}

  static async create(realm: DeviceInfo['realm']): Promise<BenchRunner> {
    const gpu = await createEngine({ backend: 'auto' });
    const cpu = await createEngine({ backend: 'cpu' });
    const device = gpu.device;
    const limits: Record<string, number> = {};
    if (device) for (const name of KEY_LIMITS) limits[name] = device.limits[name];
    const info: DeviceInfo = {
      backend: gpu.backend,
      fallbackReason: gpu.fallbackReason ?? null,
      adapter: gpu.adapterInfo ? { ...gpu.adapterInfo } : null,
      features: device ? [...device.features].map(String).sort() : [],
      limits,
      realm,
      cpuKernels: cpu.cpuKernels,
    };
    return new BenchRunner(gpu, cpu, info);
  }

  /** Resolves with a message if the GPU device is lost (never on the CPU). */
  get deviceLost(): Promise<string> {
    const device = this.gpu.device;
    return device ? device.lost.then((i) => `the GPU device was lost (${i.reason}): ${i.message}`) : new Promise(() => {});
  }

  async run(params: BenchOptions, onProgress: (p: SuiteProgress) => void, signal?: AbortSignal): Promise<BenchReport> {
    if (this.running) throw new Error('a benchmark is already running');
    this.running = true;
    const peers: Peer[] = [];
    try {
      if (params.peers) {
        if (this.gpu.device) peers.push(await createTfjsWebgpuPeer(this.gpu.device));
        peers.push(await createTfjsCpuPeer(), createMathjsPeer());
      }
      return await runSuite(toSuiteConfig(params), {
        gpu: this.gpu.backend === 'webgpu' ? this.gpu : undefined,
        ...(this.gpu.fallbackReason ? { gpuUnavailable: this.gpu.fallbackReason } : {}),
        cpu: this.cpu,
        peers,
        onProgress,
        ...(signal ? { signal } : {}),
        environment: { runtime: navigator.userAgent, platform: navigator.platform },
      });
    } finally {
      for (const p of peers) p.dispose?.();
      this.running = false;
    }
  }
}
