// Which shape of the product kernels an adapter gets. SwiftShader (and other
// software adapters) run WGSL on CPU cores, where one invocation walking a
// long private run of columns and no barriers measured fastest; a GPU wants
// the opposite — a warp's lanes reading neighbouring addresses, pairs shared
// through workgroup memory, no idle lanes (bench/README.md, "GPU execution
// model"). Kernels read the profile from their GpuContext and pick their entry
// point by it (kernels/spmm.ts, kernels/sddmm.ts).

/** What chooseKernelProfile reads of an adapter (AdapterInfo in acquire-device.ts has these fields). */
export interface AdapterNames {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
}

/**
 * 'emulation': the shapes tuned on SwiftShader (a thread per row × 16
 * consecutive batch columns; a thread per SDDMM entry); 'gpu': the
 * GPU-shaped ones (a warp per row or entry, lanes along the batch, workgroup
 * memory). Both give the same results within float tolerance.
 */
export type KernelProfile = 'emulation' | 'gpu';

/** `createEngine({ kernels })`: 'auto' (default) picks by adapter; the others force a profile. */
export type KernelProfileOption = 'auto' | KernelProfile;

export const KERNEL_PROFILE_OPTIONS: readonly KernelProfileOption[] = ['auto', 'emulation', 'gpu'];

export interface KernelProfileChoice {
  profile: KernelProfile;
  /** Why: the option that forced it, or what in the adapter decided. */
  reason: string;
}

/**
 * Names of software (CPU) WebGPU adapters: Dawn on SwiftShader, Mesa's
 * llvmpipe / lavapipe, Microsoft's WARP ("Basic Render Driver").
 */
const SOFTWARE_ADAPTERS = /swiftshader|llvmpipe|lavapipe|softpipe|basic render driver|microsoft basic|\bwarp\b/i;

/**
 * The profile for an adapter: 'emulation' on a software adapter (by its
 * info, or when the browser reports it as a fallback adapter), 'gpu'
 * otherwise; `option` other than 'auto' overrides. The GPU-shaped kernels
 * need no optional feature (workgroup memory only), so features do not
 * decide; `features` is reported in the reason when it has `subgroups`.
 */
export function chooseKernelProfile(
  info: AdapterNames | undefined,
  option: KernelProfileOption = 'auto',
  extra: { isFallbackAdapter?: boolean | undefined; features?: { has(name: string): boolean } | undefined } = {},
): KernelProfileChoice {
  if (option === 'emulation' || option === 'gpu') return { profile: option, reason: `forced by the kernels option ('${option}')` };
  const name = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ');
  if (extra.isFallbackAdapter === true) return { profile: 'emulation', reason: `a fallback (software) adapter${name ? `: ${name}` : ''}` };
  const software = SOFTWARE_ADAPTERS.exec(name);
  if (software) return { profile: 'emulation', reason: `a software adapter (${software[0]})` };
  const subgroups = extra.features?.has('subgroups') ? ', subgroups available (not needed)' : '';
  return { profile: 'gpu', reason: `a hardware adapter${name ? ` (${name})` : ''}${subgroups}` };
}
