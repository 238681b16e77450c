// Live loss and accuracy per epoch (training and test), two uPlot charts
// redrawn after every epoch.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EpochLog } from '../src/index.js';
import { h } from './train-view.js';

const TRAIN = '#1f5fbf';
const TEST = '#c2410c';

interface Chart {
  plot: uPlot;
  target: HTMLElement;
  pick: (l: EpochLog) => [number | null, number | null];
  describe: (logs: readonly EpochLog[]) => string;
}

let charts: Chart[] = [];

/** The last non-null value of a series (null when it has none). */
function latest(values: ArrayLike<number | null | undefined> | undefined): number | null {
  for (let i = (values?.length ?? 0) - 1; i >= 0; i--) {
    const v = values![i];
    if (v != null) return v;
  }
  return null;
}

export function destroyCharts(): void {
  for (const c of charts) c.plot.destroy();
  charts = [];
}

function makeChart(container: HTMLElement, title: string, unit: (v: number) => string, range: uPlot.Scale.Range, pick: Chart['pick'], describe: Chart['describe']): Chart {
  const target = h('div', { class: 'chart', role: 'img', 'aria-label': `${title}: no epochs yet.` });
  container.append(h('figure', {}, target));
  const series = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({
    label,
    stroke,
    width: 2,
    spanGaps: true,
    points: { show: true, size: 6, fill: stroke },
    // Without a cursor on the chart (idx null) the legend shows the latest epoch's value, not a placeholder.
    value: (u, v, si, idx) => {
      const shown = idx == null ? latest(u.data[si]) : v;
      return shown == null ? '–' : unit(shown);
    },
    ...(dash ? { dash } : {}),
  });
  const plot = new uPlot(
    {
      title,
      width: Math.max(300, Math.min(520, (container.clientWidth || 1040) / 2 - 16)),
      height: 240,
      scales: { x: { time: false, range: (_u, lo, hi) => [Math.min(1, lo ?? 1), Math.max(2, hi ?? 2)] }, y: { range } },
      axes: [
        { label: 'epoch', values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) },
        { values: (_u, splits) => splits.map((v) => (v == null ? '' : unit(v))), size: 56 },
      ],
      series: [{ label: 'epoch', value: (u, v, _si, idx) => String((idx == null ? latest(u.data[0]) : v) ?? '–') }, series('training', TRAIN), series('test', TEST, [6, 3])],
    },
    [[], [], []],
    target,
  );
  return { plot, target, pick, describe };
}

/** Empty charts for a new run. */
export function resetCharts(container: HTMLElement): void {
  destroyCharts();
  container.replaceChildren();
  const last = (logs: readonly EpochLog[], f: (l: EpochLog) => string) => (logs.length ? `after epoch ${logs.length}: ${f(logs[logs.length - 1]!)}` : 'no epochs yet');
  charts = [
    makeChart(
      container,
      'Loss (cross-entropy)',
      (v) => v.toFixed(2),
      (_u, lo, hi) => [0, Math.max(0.1, (hi ?? 1) * 1.05)],
      (l) => [l.loss, l.valLoss ?? null],
      (logs) => `Loss per epoch, ${last(logs, (l) => `training ${l.loss.toFixed(3)}, test ${l.valLoss?.toFixed(3) ?? '–'}`)}.`,
    ),
    makeChart(
      container,
      'Accuracy',
      (v) => `${Math.round(v * 100)} %`,
      (_u, lo) => [Math.max(0, Math.min(0.8, Math.floor((lo ?? 0) * 10) / 10)), 1],
      (l) => [l.accuracy, l.valAccuracy ?? null],
      (logs) => `Accuracy per epoch, ${last(logs, (l) => `training ${(l.accuracy * 100).toFixed(1)} %, test ${l.valAccuracy === undefined ? '–' : `${(l.valAccuracy * 100).toFixed(1)} %`}`)}.`,
    ),
  ];
}

export function updateCharts(logs: readonly EpochLog[]): void {
  for (const c of charts) {
    const xs = logs.map((l) => l.epoch + 1);
    const picked = logs.map(c.pick);
    c.plot.setData([xs, picked.map((p) => p[0]), picked.map((p) => p[1])] as uPlot.AlignedData);
    c.target.setAttribute('aria-label', c.describe(logs));
  }
}
