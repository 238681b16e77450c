declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}

/** WebAssembly text modules, assembled at build time (kernels/wasm/wat-plugin.ts). */
declare module '*.wat' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
  /** The same module importing a shared memory (the threaded CPU backend's). */
  export const shared: Uint8Array<ArrayBuffer>;
}
