/**
 * How much of a per-pixel map lies on an image's border frame. MNIST digits
 * were scaled into a 20 × 20 box and centred in 28 × 28, so the 4-pixel frame
 * (384 of the 784 pixels, 49 %) is blank in nearly every image: a first layer
 * that learns where digits are drawn moves its connections (and its weight)
 * off that frame. The SET paper's "automatic pattern discovery" is this share
 * falling; the training demo shows it per epoch.
 */
import { InvalidArgumentError } from '../errors.js';
import { assertCount } from '../formats/validate.js';

export interface BorderOptions {
  /** The image's side (it is side × side, row-major); default √(map length). */
  side?: number;
  /** The frame's width in pixels; default 4, MNIST's blank frame. */
  width?: number;
}

/** MNIST's blank frame: 28 − 20 = 8 pixels across, 4 on each side. */
export const MNIST_BORDER_WIDTH = 4;

/** Whether pixel `index` of a side × side image lies within `width` pixels of its edge. */
export function isBorderPixel(index: number, side: number, width = MNIST_BORDER_WIDTH): boolean {
  const x = index % side;
  const y = Math.floor(index / side);
  return x < width || y < width || x >= side - width || y >= side - width;
}

/**
 * The share of `map`'s total on the border frame, in [0, 1]: e.g. of the
 * first layer's connections (`Sequential.inputConnectivity()`) or of its
 * weight magnitude per input pixel. 0 for a map that sums to 0. The values
 * must be finite and ≥ 0.
 */
export function borderShare(map: ArrayLike<number>, options: BorderOptions = {}): number {
  const side = options.side ?? Math.round(Math.sqrt(map.length));
  const width = options.width ?? MNIST_BORDER_WIDTH;
  assertCount('options.side', side, { min: 1 });
  assertCount('options.width', width, { min: 0 });
  if (map.length !== side * side) throw new InvalidArgumentError('map', `must hold side × side = ${side * side} values, got ${map.length}`);
  let total = 0;
  let border = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (!(v >= 0) || !Number.isFinite(v)) throw new InvalidArgumentError('map', `values must be finite and ≥ 0, got ${String(v)} at ${i}`);
    total += v;
    if (isBorderPixel(i, side, width)) border += v;
  }
  return total > 0 ? border / total : 0;
}
