/// <reference types="@webgpu/types" />
// The declarations for TypeScript < 6, chosen by the "types@<6" condition of
// package.json's exports. TypeScript 5 has no WebGPU types of its own, so they
// come from @webgpu/types (a dependency of wgsparse). TypeScript 6 and later
// declare WebGPU in their "dom" lib, which conflicts with @webgpu/types: they
// get dist/types/src/interop.d.ts, which references nothing.
export * from '../../dist/types/src/interop.js';
