import type { Plugin } from 'vite';

/**
 * A module's import of the kernels' memory, `(import "env" "memory" (memory N))`:
 * the shared twin of a module imports it as a shared memory instead, which
 * is what lets worker threads (kernels/wasm/pool.ts) run the same code over
 * the same bytes.
 */
const MEMORY_IMPORT = /\(import\s+"env"\s+"memory"\s+\(memory\s+(\d+)\s*\)\)/;
/** 4 GiB: a shared memory must declare a maximum, and growth stops there as for an unshared one. */
const MAX_PAGES = 65536;

/**
 * Vite plugin: `import bytes from './kernel.wat'` yields the assembled module
 * as a Uint8Array, assembled by wabt at build (or dev-server, or test) time,
 * so the text format is the only source and no binary is committed. The
 * named export `shared` is the same module importing a shared memory (the
 * threaded CPU backend's; an unshared memory cannot be imported by a module
 * that declares a shared one, nor the reverse). Shared by vite.config.ts and
 * bench/vite.bundle.config.ts.
 */
export function watModules(): Plugin {
  return {
    name: 'wgsparse-wat',
    async transform(source, id) {
      if (!id.endsWith('.wat')) return null;
      const wabt = await (await import('wabt')).default();
      const features = { simd: true, threads: true };
      const assemble = (text: string): string => {
        const module = wabt.parseWat(id, text, features);
        try {
          // wabt's types omit validate's features argument; without it shared memories are refused.
          (module as unknown as { validate(f: typeof features): void }).validate(features);
          return Buffer.from(module.toBinary({}).buffer).toString('base64');
        } finally {
          module.destroy();
        }
      };
      const plain = assemble(source);
      const shared = MEMORY_IMPORT.test(source) ? assemble(source.replace(MEMORY_IMPORT, `(import "env" "memory" (memory $1 ${MAX_PAGES} shared))`)) : plain;
      const bytes = (base64: string) => `Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0))`;
      return { code: `export default ${bytes(plain)};\nexport const shared = ${bytes(shared)};\n`, map: null };
    },
  };
}
