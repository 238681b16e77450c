// Progress of a long CLI run. On a terminal: a bar redrawn in place with
// `\r`, overwritten by each epoch's line. Anywhere else (a CI log, a pipe, a
// file) `\r` only piles bars onto one endless line, so nothing is drawn
// between epochs there: one line per epoch, nothing else.

/** Where progress goes: process.stdout, or a test's fake. */
export interface ProgressStream {
  /** true only on a terminal (Node leaves it undefined on pipes and files). */
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface EpochProgress {
  /** After each batch: redraws the bar (a terminal only, at most every `minIntervalMs`). */
  batch(epoch: number, batch: number, batches: number): void;
  /** A whole line (e.g. an epoch's results): replaces the bar on a terminal. */
  line(text: string): void;
  /** Clears a bar left on the line. */
  end(): void;
}

const BAR_WIDTH = 20;

export function createEpochProgress(stream: ProgressStream, epochs: number, options: { minIntervalMs?: number; now?: () => number } = {}): EpochProgress {
  const tty = stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const minInterval = options.minIntervalMs ?? 2000;
  let lastDraw = -Infinity;
  let epochStart = now();
  let barShown = 0; // characters of the bar on the current line (0: none)
  const clear = () => {
    if (barShown) stream.write(`\r${' '.repeat(barShown)}\r`);
    barShown = 0;
  };
  return {
    batch(epoch, batch, batches) {
      if (batch === 0) epochStart = now();
      if (!tty) return;
      const t = now();
      if (t - lastDraw < minInterval && batch !== batches - 1) return;
      lastDraw = t;
      const done = (batch + 1) / batches;
      const eta = ((t - epochStart) / done) * (1 - done);
      const bar = `  epoch ${epoch + 1}/${epochs} ${'█'.repeat(Math.round(done * BAR_WIDTH)).padEnd(BAR_WIDTH, '·')} ${(done * 100).toFixed(0).padStart(3)}%  ~${(eta / 1000).toFixed(0)} s left in epoch`;
      stream.write(`\r${bar.padEnd(barShown)}`);
      barShown = Math.max(barShown, bar.length);
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
    end() {
      clear();
    },
  };
}
