import { BackendUnavailableError } from '../errors.js';
import { chooseKernelProfile, type KernelProfileChoice, type KernelProfileOption } from './kernel-profile.js';

export interface AcquiredDevice {
  device: GPUDevice;
  /** Whether the engine created the device (and so destroys it on dispose). */
  owned: boolean;
  adapterInfo: AdapterInfo;
  /**
   * The GPU object the device came from. Dawn in Node tears its instance down
   * when this is garbage-collected, killing the device mid-work, so the
   * engine holds it for as long as it holds the device.
   */
  gpu: GPU | undefined;
  /** The kernels' shape for this adapter (src/gpu/kernel-profile.ts). */
  kernelProfile: KernelProfileChoice;
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/**
 * Limits worth raising to the adapter's maximum: the defaults (128 MiB per
 * binding, 256 MiB per buffer) would refuse, or worse truncate, big layers.
 */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

/**
 * Dawn's GPU object, one per process like navigator.gpu. Dawn destroys its
 * instance when this object is garbage-collected, and an instance torn down
 * while another engine's device works has aborted the process; one shared,
 * never-collected instance rules that out.
 */
let dawnGpu: GPU | undefined;

/** The `GPU` object of this environment: navigator.gpu in browsers, Dawn (`webgpu` package) in Node. */
export async function findGpu(): Promise<{ gpu: GPU } | { reason: string }> {
  if (dawnGpu) return { gpu: dawnGpu };
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu };
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (!isNode) return { reason: 'navigator.gpu is missing: this browser has no WebGPU (or it is disabled)' };
  try {
    // A variable specifier keeps bundlers from trying to resolve this Node-only module.
    const specifier = 'webgpu';
    const dawn = (await import(/* @vite-ignore */ specifier)) as {
      create: (flags: string[]) => GPU;
      globals: Record<string, unknown>;
    };
    for (const [name, value] of Object.entries(dawn.globals)) {
      if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    }
    dawnGpu ??= dawn.create([]);
    return { gpu: dawnGpu };
  } catch (e) {
    return { reason: `no WebGPU in this Node process (install the optional 'webgpu' package for Dawn): ${e instanceof Error ? e.message : String(e)}` };
  }
}

export async function acquireDevice(options: {
  gpu?: GPU;
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  kernels?: KernelProfileOption;
}): Promise<AcquiredDevice> {
  if (options.device) {
    const adapterInfo = describe(options.device.adapterInfo);
    const kernelProfile = chooseKernelProfile(adapterInfo, options.kernels, { isFallbackAdapter: isFallback(options.device.adapterInfo, undefined), features: options.device.features });
    return { device: options.device, owned: false, adapterInfo, gpu: options.gpu, kernelProfile };
  }
  let gpu = options.gpu;
  if (!gpu) {
    const found = await findGpu();
    if ('reason' in found) throw new BackendUnavailableError(found.reason);
    gpu = found.gpu;
  }
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : {});
  if (!adapter) {
    const inBrowser = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu === gpu;
    throw new BackendUnavailableError(
      inBrowser
        ? 'requestAdapter() returned null: this browser has WebGPU but no usable adapter (GPU blocklisted or WebGPU disabled)'
        : 'requestAdapter() returned null: no WebGPU adapter. Without a GPU on Linux, point Vulkan at SwiftShader ' +
            '(LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  if (adapter.features.has('subgroups')) requiredFeatures.push('subgroups' as GPUFeatureName);
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const adapterInfo = describe(adapter.info);
  const kernelProfile = chooseKernelProfile(adapterInfo, options.kernels, { isFallbackAdapter: isFallback(adapter.info, adapter), features: adapter.features });
  return { device, owned: true, adapterInfo, gpu, kernelProfile };
}

/** GPUAdapterInfo.isFallbackAdapter (newer), or GPUAdapter.isFallbackAdapter (older, deprecated); undefined where neither says. */
function isFallback(info: GPUAdapterInfo | undefined, adapter: GPUAdapter | undefined): boolean | undefined {
  const fromInfo = (info as { isFallbackAdapter?: unknown } | undefined)?.isFallbackAdapter;
  if (typeof fromInfo === 'boolean') return fromInfo;
  const fromAdapter = (adapter as { isFallbackAdapter?: unknown } | undefined)?.isFallbackAdapter;
  return typeof fromAdapter === 'boolean' ? fromAdapter : undefined;
}

function describe(info: GPUAdapterInfo | undefined): AdapterInfo {
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
  };
}
