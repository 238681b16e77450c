import type { ShaderLayout } from './layout.js';

/**
 * Every compute program wgsparse compiles: a cache key made of everything
 * that changes the WGSL (kernel, feature flags, override constants), the
 * source, its constants, and its declared layout (uniforms, bindings and
 * shared consts by name; src/gpu/layout.ts writes their WGSL). Kernels
 * declare them (kernels/programs.ts); the GPU context compiles each once per
 * device.
 */
export interface ShaderProgram<L extends ShaderLayout = ShaderLayout> {
  readonly key: string;
  /** The complete WGSL: the layout's declarations, then source(). */
  code(): string;
  /** What the shader's authors wrote (helpers, included fragments, the specialised kernel), without the layout's declarations. */
  source(): string;
  readonly layout: L;
  readonly constants: Record<string, number>;
  /** Defaults to 'main'. */
  readonly entryPoint?: string;
}

/**
 * A kernel's WGSL with its feature lines switched on or off. A line
 * `//!FLAG code` becomes `code` when FLAG is set; `//!!FLAG code` becomes
 * `code` when it is not. Only what changes bindings or control structure is
 * switched this way; sizes stay uniforms and tile shapes stay `override`
 * constants.
 */
export function specializeShader(source: string, flags: Record<string, boolean> = {}): string {
  const lines = source.split('\n').map((line) => {
    // Flags nest (`//!A //!!B code`): peel one at a time.
    for (;;) {
      const m = /^(\s*)\/\/(!!?)([A-Z0-9_]+) (.*)$/.exec(line);
      if (!m) return line;
      const [, indent, bang, flag, code] = m as unknown as [string, string, string, string, string];
      const set = flags[flag] === true;
      if (!(bang === '!' ? set : !set)) return '';
      line = indent + code;
    }
  });
  return lines.join('\n');
}
