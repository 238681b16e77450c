// Device profiles of the GPU execution model: how many multiprocessors a
// device has, how wide its warps are and what caps the workgroups resident on
// one multiprocessor. Registers are not modelled (WGSL says nothing about a
// kernel's register count; every cap below assumes a kernel light enough on
// registers not to be limited by them), so `maxResident` is an upper bound.

export type ProfileName = 'h100' | 'apple-m2' | 'intel-xe-lp' | 'amd-cdna';

export interface DeviceProfile {
  name: ProfileName;
  /** What it stands for. */
  label: string;
  /** SMs (NVIDIA), GPU cores (Apple), dual subslices (Intel Xe-LP), compute units (AMD). */
  multiprocessors: number;
  /** Lanes per warp / SIMD-group / subgroup / wavefront. */
  warpSize: number;
  /** Invocations resident on one multiprocessor at most (warps × warp size). */
  maxThreadsPerSM: number;
  /** Workgroups resident on one multiprocessor at most. */
  maxWorkgroupsPerSM: number;
  /** `var<workgroup>` bytes one multiprocessor holds for its resident workgroups. */
  workgroupMemoryPerSM: number;
  /** Where the figures come from, and what is assumed. */
  sources: string;
}

export const PROFILES: Record<ProfileName, DeviceProfile> = {
  h100: {
    name: 'h100',
    label: 'NVIDIA H100-class (SXM5: 132 SMs, 32-lane warps)',
    multiprocessors: 132,
    warpSize: 32,
    maxThreadsPerSM: 2048,
    maxWorkgroupsPerSM: 32,
    workgroupMemoryPerSM: 228 * 1024,
    sources:
      'NVIDIA H100 whitepaper (132 SMs on SXM5) and the CUDA C++ Programming Guide, compute capability 9.0: 2048 resident threads, 32 resident blocks, 228 KB shared memory per SM (227 KB usable by one block).',
  },
  'apple-m2': {
    name: 'apple-m2',
    label: 'Apple M2-class (10 GPU cores, 32-wide SIMD-groups)',
    multiprocessors: 10,
    warpSize: 32,
    maxThreadsPerSM: 3072,
    maxWorkgroupsPerSM: 32,
    workgroupMemoryPerSM: 60 * 1024,
    sources:
      'Apple publishes no occupancy table. philipturner/metal-benchmarks (README, "On-Chip Memory"): M2 has 10 cores, 384–3072 resident threads per core depending on registers (3072 taken: registers are not modelled), ~60 KB threadgroup memory per core; Metal limits one threadgroup to 1024 threads and 32 KB. 32 resident threadgroups per core is an assumption.',
  },
  'intel-xe-lp': {
    name: 'intel-xe-lp',
    label: 'Intel Iris Xe-LP (96 EUs = 6 dual subslices, SIMD16 subgroups)',
    multiprocessors: 6,
    warpSize: 16,
    maxThreadsPerSM: 16 * 7 * 16,
    maxWorkgroupsPerSM: 16,
    workgroupMemoryPerSM: 128 * 1024,
    sources:
      "Intel oneAPI GPU Optimization Guide, \"Intel Iris Xe GPU Architecture\": 16 EUs per dual subslice (DSS), 7 hardware threads per EU, 128 KB shared local memory per DSS; 96 EUs = 6 DSS. The compiler picks SIMD8, 16 or 32 per kernel: SIMD16 assumed (16 × 7 × 16 = 1792 resident invocations per DSS; SIMD32 would double it). 16 resident workgroups per DSS is an assumption.",
  },
  'amd-cdna': {
    name: 'amd-cdna',
    label: 'AMD Instinct MI100-class (CDNA, 120 CUs, 64-lane wavefronts)',
    multiprocessors: 120,
    warpSize: 64,
    maxThreadsPerSM: 40 * 64,
    maxWorkgroupsPerSM: 16,
    workgroupMemoryPerSM: 64 * 1024,
    sources:
      'AMD CDNA whitepaper (MI100: 120 compute units) and the GCN lineage it keeps: 4 SIMD16 units × 10 wavefronts of 64 lanes = 2560 resident invocations, 64 KB LDS and at most 16 workgroups per CU.',
  },
};

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export type OccupancyLimit = 'threads' | 'workgroups' | 'workgroup memory';

export interface WorkgroupsPerSM {
  /** Dispatched workgroups / multiprocessors: below 2, the device is not filled (conventions: at least two per SM). */
  dispatched: number;
  /** Workgroups one multiprocessor can hold at once under the profile's caps. */
  maxResident: number;
  /** The cap that sets maxResident. */
  limitedBy: OccupancyLimit;
  /** min(ceil(dispatched), maxResident): workgroups resident on the busiest SM in the first wave. */
  resident: number;
  /** Waves of resident workgroups the dispatch needs (1 = all of it resident at once). */
  waves: number;
}

/**
 * Workgroups per multiprocessor for a dispatch of `workgroups` workgroups of
 * `threads` invocations (rounded up to whole warps, as hardware allocates
 * them) using `workgroupMemoryBytes` of workgroup memory each.
 */
export function workgroupsPerSM(profile: DeviceProfile, workgroups: number, threads: number, workgroupMemoryBytes = 0): WorkgroupsPerSM {
  const warpThreads = Math.ceil(threads / profile.warpSize) * profile.warpSize;
  const caps: Array<[OccupancyLimit, number]> = [
    ['workgroups', profile.maxWorkgroupsPerSM],
    ['threads', Math.floor(profile.maxThreadsPerSM / warpThreads)],
  ];
  if (workgroupMemoryBytes > 0) caps.push(['workgroup memory', Math.floor(profile.workgroupMemoryPerSM / workgroupMemoryBytes)]);
  let [limitedBy, maxResident] = caps[0]!;
  for (const [name, cap] of caps) {
    if (cap < maxResident) [limitedBy, maxResident] = [name, cap];
  }
  const dispatched = workgroups / profile.multiprocessors;
  const resident = Math.min(Math.ceil(dispatched), maxResident);
  const waves = maxResident > 0 ? Math.ceil(workgroups / (profile.multiprocessors * maxResident)) : Infinity;
  return { dispatched, maxResident, limitedBy, resident, waves };
}
