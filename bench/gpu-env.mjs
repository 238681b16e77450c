import { existsSync } from 'node:fs';

/**
 * Environment for Dawn (the `webgpu` package) on Linux machines without a GPU:
 * Vulkan pointed at SwiftShader from Debian's chromium package. Returns {} when
 * a Vulkan driver is already chosen, a GPU device node exists, or
 * WGSPARSE_NATIVE_GPU=1 — then Dawn uses the real GPU. It must be applied to a
 * process before it starts: the dynamic loader reads LD_LIBRARY_PATH at startup.
 * Plain JS so that both vite.config.ts and the benchmark launcher can use it.
 *
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Record<string, string>}
 */
export function swiftshaderEnv(env = process.env) {
  const dir = '/usr/lib/chromium';
  const icd = `${dir}/vk_swiftshader_icd.json`;
  if (process.platform !== 'linux' || env.WGSPARSE_NATIVE_GPU === '1') return {};
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return {};
  const hasGpu = existsSync('/dev/nvidia0') || existsSync('/dev/dri/renderD128') || existsSync('/dev/kfd');
  if (hasGpu && env.WGSPARSE_SWIFTSHADER !== '1') return {};
  if (!existsSync(icd)) return {};
  return {
    LD_LIBRARY_PATH: env.LD_LIBRARY_PATH ? `${dir}:${env.LD_LIBRARY_PATH}` : dir,
    VK_ICD_FILENAMES: icd,
    XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR ?? '/tmp',
  };
}
