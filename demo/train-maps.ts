// "Where the first layer looks": per-pixel maps of the first layer over the
// 28 × 28 input, before training, now, and the change between them, with the
// share of the layer on MNIST's blank border frame (borderShare) as the
// number that tells the story.
//
// Two measures: connections per pixel (inputConnectivity) tells SET's story,
// connections migrating off the border; weight strength per pixel (Σ |w| over
// the pixel's connections) tells it for 2:4 and dense, whose connection
// counts cannot move off the border by construction.
import { borderShare, isBorderPixel, MNIST_BORDER_WIDTH, type MlpVariant } from '../src/index.js';
import { byId, h } from './bench-view.js';

export type MapMeasure = 'connections' | 'strength';

/** The first layer's maps at one moment (784 numbers each). */
export interface InputMaps {
  counts: ArrayLike<number>;
  strength: ArrayLike<number>;
}

export interface BorderShares {
  connections: number;
  strength: number;
}

export const shares = (maps: InputMaps): BorderShares => ({ connections: borderShare(maps.counts), strength: borderShare(maps.strength) });

const SIDE = 28;
const FRAME_PIXELS = Array.from({ length: SIDE * SIDE }, (_, i) => i).filter((i) => isBorderPixel(i, SIDE)).length;

type Rgb = [number, number, number];

/** Colour stops from their hex codes, as the palettes are published. */
const hexStops = (...codes: string[]): Rgb[] => codes.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as Rgb);

// viridis, 9 stops: before and now
const SEQUENTIAL = hexStops('#440154', '#472c7a', '#3b518b', '#2c718e', '#21908d', '#27ad81', '#5cc863', '#aadc32', '#fde725');

// ColorBrewer RdBu (7 classes), reversed: fewer (blue) … none (near white) … more (red)
const DIVERGING = hexStops('#2166ac', '#67a9cf', '#d1e5f0', '#f7f7f7', '#fddbc7', '#ef8a62', '#b2182b');

function colourAt(stops: readonly Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

const gradientCss = (stops: readonly Rgb[]): string => `linear-gradient(to right, ${stops.map(([r, g, b]) => `rgb(${r} ${g} ${b})`).join(', ')})`;

/** A side × side map onto a canvas of that many pixels (CSS scales it up, pixelated); t(value) in [0, 1] picks the colour. */
function paint(canvas: HTMLCanvasElement, values: ArrayLike<number> | null, stops: readonly Rgb[], t: (v: number) => number): void {
  canvas.width = SIDE;
  canvas.height = SIDE;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const [r, g, b] = values ? colourAt(stops, t(values[i] ?? 0)) : [240, 240, 240];
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

function range(...maps: Array<ArrayLike<number> | null>): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const m of maps) {
    if (!m) continue;
    for (let i = 0; i < m.length; i++) {
      lo = Math.min(lo, m[i]!);
      hi = Math.max(hi, m[i]!);
    }
  }
  return Number.isFinite(lo) ? { lo, hi } : { lo: 0, hi: 0 };
}

/**
 * The diverging scale's reach: the 98th percentile of |change|, so that a few
 * extreme pixels do not wash the rest out to white (the rest saturate).
 */
function diffReach(diff: Float64Array): { reach: number; clipped: boolean } {
  const sorted = Float64Array.from(diff, Math.abs).sort();
  const max = sorted[sorted.length - 1] ?? 0;
  const reach = sorted[Math.floor(0.98 * (sorted.length - 1))] || max;
  return { reach, clipped: reach < max };
}

const pct1 = (x: number): string => `${(x * 100).toFixed(1)} %`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

const UNITS: Record<MapMeasure, { label: string; value: (v: number) => string; signed: (v: number) => string }> = {
  connections: { label: 'connections per pixel', value: int, signed: (v) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${int(Math.abs(v))}` },
  strength: {
    label: 'weight strength per pixel (Σ |w|)',
    value: (v) => v.toPrecision(3),
    signed: (v) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toPrecision(3)}`,
  },
};

/** Why the map looks as it does, per variant. */
export function mapStory(variant: MlpVariant | null): string {
  const frame = `the dashed square marks MNIST's blank ${MNIST_BORDER_WIDTH}-pixel border (${FRAME_PIXELS} of ${SIDE * SIDE} pixels, ${pct1(FRAME_PIXELS / (SIDE * SIDE))}), where digits are almost never drawn`;
  switch (variant) {
    case 'nm-2:4':
      return (
        `2:4: every group of 4 neighbouring pixels in a row keeps exactly 2 weights per hidden unit, so each group always holds the same number of ` +
        `connections: counts can only shift between 4 horizontal neighbours, and since the groups line up with the border, its share of the ` +
        `connections stays at ${pct1(FRAME_PIXELS / (SIDE * SIDE))} by construction. The map therefore shows weight strength (Σ |w| per pixel): ` +
        `border pixels are always 0, so their weights get no gradient (only weight decay, which shrinks them slowly), while the weights of ` +
        `the pixels digits are drawn on grow: the border's share of the strength falls. ` +
        `Before and now share one colour scale; ${frame}.`
      );
    case 'dense':
      return (
        `Dense: every pixel connects to every hidden unit, so the count is the same everywhere. The map shows weight strength ` +
        `(Σ |w| per pixel): weights on the always-blank border get no gradient and stay as they were (weight decay shrinks them slowly), ` +
        `while those of the pixels digits are drawn on grow. Before and now share one colour scale; ${frame}.`
      );
    default:
      return (
        `SET starts from a uniformly random graph. After every epoch it drops the weakest connections and regrows as many at random; ` +
        `connections on the always-blank border get no gradient, stay weak and are dropped again, so connections leave the border and gather ` +
        `where digits are drawn (the paper's “automatic pattern discovery”). Before and now share one colour scale; the change is now − before; ${frame}.`
      );
  }
}

/** The default measure for a variant: connections for SET (they move), strength for 2:4 and dense (their counts cannot leave the border). */
export const defaultMeasure = (variant: MlpVariant | null): MapMeasure => (variant === 'nm-2:4' || variant === 'dense' ? 'strength' : 'connections');

export class InputMapView {
  private before: InputMaps | null = null;
  private now: InputMaps | null = null;
  private measure: MapMeasure = 'connections';
  private nowCaption = 'After the latest epoch';
  private beforeCaption = 'Before training';

  constructor() {
    byId('heatmap-gradient').style.background = gradientCss(SEQUENTIAL);
    byId('heatmap-diff-gradient').style.background = gradientCss(DIVERGING);
    for (const radio of Array.from(document.querySelectorAll<HTMLInputElement>('input[name="heatmap-measure"]'))) {
      radio.addEventListener('change', () => {
        if (radio.checked) {
          this.measure = radio.value === 'strength' ? 'strength' : 'connections';
          this.draw();
        }
      });
    }
    this.draw();
  }

  /** A new model before training: its maps are the "before" of every later update. */
  start(variant: MlpVariant | null, maps: InputMaps): void {
    this.before = maps;
    this.now = maps;
    this.beforeCaption = 'Before training';
    this.nowCaption = 'Before training';
    this.setVariant(variant);
  }

  update(maps: InputMaps, caption: string): void {
    this.now = maps;
    this.nowCaption = caption;
    this.draw();
  }

  /** A model from a file: no "before" (files do not store it). */
  loaded(variant: MlpVariant | null, maps: InputMaps, caption: string): void {
    this.before = null;
    this.now = maps;
    this.beforeCaption = 'Before training: not stored in a model file';
    this.nowCaption = caption;
    this.setVariant(variant);
  }

  private setVariant(variant: MlpVariant | null): void {
    this.measure = defaultMeasure(variant);
    for (const radio of Array.from(document.querySelectorAll<HTMLInputElement>('input[name="heatmap-measure"]'))) radio.checked = radio.value === this.measure;
    const story = byId('heatmap-story');
    story.textContent = mapStory(variant);
    story.dataset.variant = variant ?? 'unknown';
    this.draw();
  }

  private pick(maps: InputMaps | null): ArrayLike<number> | null {
    return maps ? (this.measure === 'connections' ? maps.counts : maps.strength) : null;
  }

  private draw(): void {
    const unit = UNITS[this.measure];
    const before = this.pick(this.before);
    const now = this.pick(this.now);
    const { lo, hi } = range(before, now);
    const scale = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
    paint(byId<HTMLCanvasElement>('heatmap-initial'), before, SEQUENTIAL, scale);
    paint(byId<HTMLCanvasElement>('heatmap'), now, SEQUENTIAL, scale);
    byId('heatmap-initial-caption').textContent = this.beforeCaption;
    byId('heatmap-caption').textContent = this.nowCaption;
    byId('heatmap-min').textContent = now ? unit.value(lo) : '–';
    byId('heatmap-max').textContent = now ? unit.value(hi) : '–';
    byId('heatmap-unit').textContent = `${unit.label}, before and now on one scale`;

    const diff = before && now ? Float64Array.from({ length: SIDE * SIDE }, (_, i) => now[i]! - before[i]!) : null;
    const { reach, clipped } = diff ? diffReach(diff) : { reach: 0, clipped: false };
    paint(byId<HTMLCanvasElement>('heatmap-diff'), diff, DIVERGING, (d) => (reach > 0 ? 0.5 + d / (2 * reach) : 0.5));
    byId('heatmap-diff-min').textContent = diff ? `${clipped ? '≤ ' : ''}${unit.signed(-reach)}` : '–';
    byId('heatmap-diff-max').textContent = diff ? `${clipped ? '≥ ' : ''}${unit.signed(reach)}` : '–';
    byId('heatmap-diff-caption').textContent = diff ? `Change: ${this.nowCaption.toLowerCase()} − before training` : this.before ? 'Change: none yet' : 'Change: needs the map before training';

    const describe = (what: string, values: ArrayLike<number> | null) => {
      if (!values) return `${what}: no model yet`;
      const r = range(values);
      return `${what}, ${unit.label}: ${unit.value(r.lo)} to ${unit.value(r.hi)}`;
    };
    byId('heatmap-initial').setAttribute('aria-label', describe(this.beforeCaption, before));
    byId('heatmap').setAttribute('aria-label', describe(this.nowCaption, now));
    byId('heatmap-diff').setAttribute('aria-label', diff ? `Change per pixel, now − before: ${unit.signed(-reach)} to ${unit.signed(reach)}` : 'No change to show yet');
    const section = byId('heatmap-measure');
    section.dataset.measure = this.measure;

    this.drawShare('border-share-connections', this.before ? borderShare(this.before.counts) : null, this.now ? borderShare(this.now.counts) : null);
    this.drawShare('border-share-strength', this.before ? borderShare(this.before.strength) : null, this.now ? borderShare(this.now.strength) : null);
  }

  private drawShare(id: string, start: number | null, now: number | null): void {
    const dd = byId(id);
    if (now === null) {
      dd.textContent = '–';
      delete dd.dataset.start;
      delete dd.dataset.now;
      return;
    }
    dd.dataset.now = String(now);
    if (start === null) {
      delete dd.dataset.start;
      dd.replaceChildren(h('strong', {}, pct1(now)), ' (before training: not stored in a model file)');
      return;
    }
    dd.dataset.start = String(start);
    const change = (now - start) * 100;
    const moved = Math.abs(change) < 0.05 ? 'unchanged' : `${change < 0 ? '−' : '+'}${Math.abs(change).toFixed(1)} points`;
    dd.replaceChildren(`${pct1(start)} → `, h('strong', {}, pct1(now)), ` (${moved})`);
  }
}
