import type { Plugin } from 'vite';

/**
 * Vite plugin: `import bytes from './kernel.wat'` yields the assembled module
 * as a Uint8Array, assembled by wabt at build (or dev-server, or test) time,
 * so the text format is the only source and no binary is committed. Shared
 * by vite.config.ts and bench/vite.bundle.config.ts.
 */
export function watModules(): Plugin {
  return {
    name: 'wgsparse-wat',
    async transform(source, id) {
      if (!id.endsWith('.wat')) return null;
      const wabt = await (await import('wabt')).default();
      const module = wabt.parseWat(id, source, { simd: true });
      try {
        module.validate();
        const { buffer } = module.toBinary({});
        const base64 = Buffer.from(buffer).toString('base64');
        return { code: `export default Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0));\n`, map: null };
      } finally {
        module.destroy();
      }
    },
  };
}
