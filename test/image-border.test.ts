// borderShare: the share of a per-pixel map on an image's border frame (the
// training demo's and the SET paper's "pattern discovery" number).
import { describe, expect, test } from 'vitest';
import { expectArgError } from './helpers/expect-error.js';
import { borderShare, isBorderPixel, MNIST_BORDER_WIDTH } from '../src/index.js';

describe('borderShare', () => {
  test('a uniform 28 × 28 map: the 4-pixel frame holds 384 of 784 pixels', () => {
    expect(MNIST_BORDER_WIDTH).toBe(4);
    const frame = Array.from({ length: 784 }, (_, i) => i).filter((i) => isBorderPixel(i, 28)).length;
    expect(frame).toBe(784 - 20 * 20);
    expect(borderShare(new Uint32Array(784).fill(7))).toBeCloseTo(384 / 784, 12);
  });

  test('counts only the frame: a map on the centre is 0, on the frame 1, a mix its ratio', () => {
    const centre = new Float32Array(784);
    const frame = new Float32Array(784);
    for (let i = 0; i < 784; i++) (isBorderPixel(i, 28) ? frame : centre)[i] = 1 + (i % 3);
    expect(borderShare(centre)).toBe(0);
    expect(borderShare(frame)).toBe(1);
    const mix = centre.map((v, i) => v + frame[i]! * 3);
    const border = frame.reduce((a, b) => a + b, 0) * 3;
    expect(borderShare(mix)).toBeCloseTo(border / (border + centre.reduce((a, b) => a + b, 0)), 6);
  });

  test('side and width: a 4 × 4 image with a 1-pixel frame (12 of 16 pixels); width 0 has no frame', () => {
    const map = Array.from({ length: 16 }, (_, i) => i);
    // Inner pixels 5, 6, 9, 10 sum to 30 of 120.
    expect(borderShare(map, { width: 1 })).toBeCloseTo(90 / 120, 12);
    expect(borderShare(map, { side: 4, width: 0 })).toBe(0);
    expect(borderShare(new Float32Array(16))).toBe(0);
  });

  test('bad input throws InvalidArgumentError naming the argument', () => {
    expectArgError(() => borderShare(new Float32Array(783)), 'map');
    expectArgError(() => borderShare(new Float32Array(784), { side: 27 }), 'map');
    expectArgError(() => borderShare(new Float32Array(784), { width: 1.5 }), 'options.width');
    expectArgError(() => borderShare(Float32Array.of(1, -1, 0, 0)), 'map');
    expectArgError(() => borderShare(Float32Array.of(1, NaN, 0, 0)), 'map');
  });
});
