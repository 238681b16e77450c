// A drawing pad: strokes on a large canvas, turned into a 28 × 28 input the
// way MNIST digits were made (the ink's bounding box scaled into 20 × 20 by
// area averaging, then shifted so its centre of mass is the image centre).

export const SIDE = 28;
const BOX = 20;

export class DrawingPad {
  private drawing = false;
  private inked = false;
  private last: { x: number; y: number } | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly preview: HTMLCanvasElement,
    /** Called when a stroke ends, with the model's input (null for an empty pad). */
    private readonly onStrokeEnd: (pixels: Float32Array | null) => void,
  ) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas context for the drawing pad');
    this.ctx = ctx;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  get isEmpty(): boolean {
    return !this.inked;
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
    this.drawPreview(null);
  }

  /** The 28 × 28 input (row-major, values in [0, 1]), or null when nothing is drawn. */
  pixels(): Float32Array | null {
    if (!this.inked) return null;
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (rgba[(y * width + x) * 4]! > 25) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return null;
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const scale = BOX / Math.max(w, h);
    const offX = (SIDE - w * scale) / 2;
    const offY = (SIDE - h * scale) / 2;
    // Area averaging: every source pixel adds its share to the target pixel it lands in.
    const sums = new Float64Array(SIDE * SIDE);
    for (let y = y0; y <= y1; y++) {
      const ty = Math.min(SIDE - 1, Math.floor(offY + (y - y0 + 0.5) * scale));
      for (let x = x0; x <= x1; x++) {
        const v = rgba[(y * width + x) * 4]! / 255;
        if (v === 0) continue;
        const tx = Math.min(SIDE - 1, Math.floor(offX + (x - x0 + 0.5) * scale));
        sums[ty * SIDE + tx]! += v * scale * scale;
      }
    }
    // Centre of mass to the centre.
    let mass = 0;
    let mx = 0;
    let my = 0;
    for (let i = 0; i < sums.length; i++) {
      const v = Math.min(1, sums[i]!);
      sums[i] = v;
      mass += v;
      mx += v * (i % SIDE);
      my += v * Math.floor(i / SIDE);
    }
    const dx = mass > 0 ? Math.round((SIDE - 1) / 2 - mx / mass) : 0;
    const dy = mass > 0 ? Math.round((SIDE - 1) / 2 - my / mass) : 0;
    const out = new Float32Array(SIDE * SIDE);
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const sx = x - dx;
        const sy = y - dy;
        if (sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE) out[y * SIDE + x] = sums[sy * SIDE + sx]!;
      }
    }
    return out;
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.canvas.width, y: ((e.clientY - r.top) / r.height) * this.canvas.height };
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.drawing = true;
    this.last = this.point(e);
    this.stroke(this.last, this.last);
  }

  private move(e: PointerEvent): void {
    if (!this.drawing) return;
    const p = this.point(e);
    this.stroke(this.last ?? p, p);
    this.last = p;
  }

  private up(e: PointerEvent): void {
    if (!this.drawing) return;
    this.drawing = false;
    this.last = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    const pixels = this.pixels();
    this.drawPreview(pixels);
    this.onStrokeEnd(pixels);
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const ctx = this.ctx;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x + 0.01, b.y);
    ctx.stroke();
    this.inked = true;
  }

  private drawPreview(pixels: Float32Array | null): void {
    this.preview.width = SIDE;
    this.preview.height = SIDE;
    const ctx = this.preview.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const v = Math.round((pixels?.[i] ?? 0) * 255);
      image.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
  }
}
