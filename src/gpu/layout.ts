/**
 * A shader's resources declared once, by name: its uniform fields, its
 * storage bindings and the constants the host shares with it (workgroup
 * sizes, tiles). The WGSL declarations are written from the declaration
 * (tfjs-backend-webgpu's makeShader, ONNX Runtime Web's ShaderHelper), and
 * dispatches pass buffers and uniforms by the same names, so no binding
 * number, uniform offset or workgroup size is kept in step by a comment.
 */

export type UniformType = 'u32' | 'f32';

/**
 * A storage binding: access (`r` read, `rw` read_write) and element type,
 * with an optional fixed length: `r f32` is `var<storage, read> name:
 * array<f32>`, `rw atomic<u32>[4]` is `array<atomic<u32>, 4>`.
 */
export type BindingSpec = `${'r' | 'rw'} ${string}`;

export interface ShaderLayout {
  /** The fields of `struct Params` (binding 0, `params`), in this order, 4 bytes each. */
  readonly uniforms: Readonly<Record<string, UniformType>>;
  /** Storage bindings 1, 2, … in this order. */
  readonly bindings: Readonly<Record<string, BindingSpec>>;
  /** `const NAME: u32` declarations the host reads too (kernels size their dispatches by them). */
  readonly consts: Readonly<Record<string, number>>;
}

/** Keeps a declaration's literal names, so dispatches are checked against them by the compiler. */
export function declareLayout<const L extends ShaderLayout>(layout: L): L {
  return layout;
}

export type UniformValues<L extends ShaderLayout> = { readonly [K in keyof L['uniforms']]?: number };
/** Buffers by binding name; a binding left out (or undefined) is not bound, for entry points that do not use it. */
export type BindingBuffers<L extends ShaderLayout> = { readonly [K in keyof L['bindings']]?: GPUBuffer | undefined };

const BINDING = /^(rw|r) (\S+?)(?:\[(\d+)\])?$/;

/** The WGSL declarations of a layout, prepended to the shader's own source. */
export function layoutWgsl(layout: ShaderLayout): string {
  const lines = ['// Declared in kernels/programs.ts; written by src/gpu/layout.ts.'];
  for (const [name, value] of Object.entries(layout.consts)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`const ${name} = ${value} is not a u32`);
    lines.push(`const ${name}: u32 = ${value}u;`);
  }
  const fields = Object.entries(layout.uniforms);
  if (fields.length > 0) {
    lines.push('struct Params {', ...fields.map(([name, type]) => `  ${name}: ${type},`), '}');
    lines.push('@group(0) @binding(0) var<uniform> params: Params;');
  }
  Object.entries(layout.bindings).forEach(([name, spec], i) => {
    const m = BINDING.exec(spec);
    if (!m) throw new Error(`binding ${name}: '${spec}' is not 'r T', 'rw T' or 'rw T[n]'`);
    const [, access, type, length] = m as unknown as [string, string, string, string | undefined];
    const array = length === undefined ? `array<${type}>` : `array<${type}, ${length}>`;
    lines.push(`@group(0) @binding(${i + 1}) var<storage, ${access === 'rw' ? 'read_write' : 'read'}> ${name}: ${array};`);
  });
  return lines.join('\n') + '\n';
}

/** A uniform buffer's bytes: each declared field at 4 × its position, as u32 or f32; fields not given are 0. */
export function uniformBytes(layout: ShaderLayout, values: Readonly<Record<string, number | undefined>>, shader: string): ArrayBuffer {
  const fields = Object.entries(layout.uniforms);
  for (const name of Object.keys(values)) {
    if (!(name in layout.uniforms)) throw new Error(`${shader}: uniform '${name}' is not declared (declared: ${fields.map(([n]) => n).join(', ')})`);
  }
  // Uniform bindings are read in 16-byte rows: round the buffer up to whole rows.
  const data = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const u32 = new Uint32Array(data);
  const f32 = new Float32Array(data);
  fields.forEach(([name, type], i) => {
    const v = values[name] ?? 0;
    if (type === 'f32') f32[i] = v;
    else u32[i] = v;
  });
  return data;
}

/** Buffers by binding number from buffers by name; a name the layout does not declare throws. */
export function bindingsByNumber(
  layout: ShaderLayout,
  params: GPUBuffer | undefined,
  buffers: Readonly<Record<string, GPUBuffer | undefined>>,
  shader: string,
): Array<GPUBuffer | undefined> {
  const names = Object.keys(layout.bindings);
  const out: Array<GPUBuffer | undefined> = [params];
  for (const [name, buffer] of Object.entries(buffers)) {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`${shader}: binding '${name}' is not declared (declared: ${names.join(', ')})`);
    out[i + 1] = buffer;
  }
  return out;
}

/** The source without comments, so names in comments neither count as uses nor as declarations. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/**
 * Where a shader's own source disagrees with its declared layout: a binding,
 * uniform struct or shared const written by hand (the declaration writes
 * them), a declared binding, uniform field or const it never uses, or a
 * `params.x` it reads that is not declared. Empty when they agree.
 */
export function layoutMismatches(source: string, layout: ShaderLayout): string[] {
  const body = code(source);
  const problems: string[] = [];
  if (/@binding\s*\(/.test(body)) problems.push('declares a @binding by hand (declare it in the layout)');
  if (/\bstruct\s+Params\b/.test(body) || /var\s*<\s*uniform\s*>/.test(body)) problems.push('declares its uniforms by hand (declare them in the layout)');
  const uses = (name: string) => new RegExp(`(?<![\\w.])${name}\\b`).test(body);
  for (const name of Object.keys(layout.consts)) {
    if (new RegExp(`\\b(const|override)\\s+${name}\\b`).test(body)) problems.push(`const ${name} is declared in the layout and again in the shader`);
    else if (!uses(name)) problems.push(`const ${name} is declared but not used`);
  }
  const read = new Set([...body.matchAll(/\bparams\.(\w+)/g)].map((m) => m[1]!));
  for (const name of Object.keys(layout.uniforms)) if (!read.has(name)) problems.push(`uniform ${name} is declared but not read`);
  for (const name of read) if (!(name in layout.uniforms)) problems.push(`reads params.${name}, which is not declared`);
  for (const name of Object.keys(layout.bindings)) if (!uses(name)) problems.push(`binding ${name} is declared but not used`);
  return problems;
}
