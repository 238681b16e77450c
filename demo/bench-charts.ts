// Speed-up vs dense against sparsity, unstructured CSR and structured N:M as
// separate series on the same axes, one chart per (backend, op, shape).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BenchCaseResult } from '../bench/schema.js';
import { groupCases, h, isEvolveCase, nominalSparsity } from './bench-view.js';

/** x is -log10(1 - sparsity) ("nines"), so 90 %, 99 % are evenly spread; axes label it as sparsity. */
const nines = (sparsity: number): number => -Math.log10(1 - sparsity);
const sparsityLabel = (x: number): string => {
  const pct = (1 - 10 ** -x) * 100;
  return `${Number(pct.toFixed(pct >= 99.5 ? 2 : pct >= 10 ? 1 : 2))}%`;
};

const CSR_COLOR = '#1f5fbf';
const NM_COLORS = ['#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490'];

let plots: uPlot[] = [];

export function destroyCharts(): void {
  for (const p of plots) p.destroy();
  plots = [];
}

interface ChartData {
  title: string;
  xs: number[];
  series: Array<{ label: string; color: string; kind: 'csr' | 'nm' | 'dense'; ys: Array<number | null> }>;
}

function chartData(title: string, cases: BenchCaseResult[], nominal: readonly number[]): ChartData | null {
  const sparse = cases.filter((c) => c.impl === 'wgsparse' && c.format !== 'dense' && c.speedupVsDense !== null);
  if (sparse.length === 0) return null;
  const key = (c: BenchCaseResult) => Number(nines(Math.round(nominalSparsity(c, nominal) * 1e4) / 1e4).toFixed(6));
  const xs = [...new Set(sparse.map(key))].sort((a, b) => a - b);
  const column = (pick: (c: BenchCaseResult) => boolean) => {
    const ys: Array<number | null> = xs.map(() => null);
    for (const c of sparse.filter(pick)) ys[xs.indexOf(key(c))] = c.speedupVsDense;
    return ys;
  };
  const series: ChartData['series'] = [];
  if (sparse.some((c) => c.format === 'csr')) series.push({ label: 'CSR (unstructured)', color: CSR_COLOR, kind: 'csr', ys: column((c) => c.format === 'csr') });
  const patterns = [...new Set(sparse.filter((c) => c.format === 'nm').map((c) => `${c.n}:${c.m}`))];
  patterns.forEach((p, i) => series.push({ label: `N:M ${p} (structured)`, color: NM_COLORS[i % NM_COLORS.length]!, kind: 'nm', ys: column((c) => c.format === 'nm' && `${c.n}:${c.m}` === p) }));
  series.push({ label: 'dense (1×)', color: '#6b7280', kind: 'dense', ys: xs.map(() => 1) });
  return { title, xs, series };
}

function describe(d: ChartData): string {
  const parts = d.series
    .filter((s) => s.kind !== 'dense')
    .map((s) => `${s.label}: ${d.xs.map((x, i) => (s.ys[i] == null ? null : `${s.ys[i]!.toFixed(2)}× at ${sparsityLabel(x)}`)).filter(Boolean).join(', ')}`);
  return `Speed-up over dense against sparsity, ${d.title}. ${parts.join('; ')}.`;
}

/** `nominal`: the run's configured CSR sparsities (CSR points are placed at them). */
export function renderCharts(container: HTMLElement, cases: BenchCaseResult[], nominal: readonly number[]): void {
  destroyCharts();
  const charts = groupCases(cases)
    .filter((g) => !g.cases.some(isEvolveCase))
    .map((g) => chartData(g.title, g.cases, nominal))
    .filter((d): d is ChartData => d !== null);
  if (charts.length === 0) {
    container.replaceChildren(h('p', {}, 'No sparse cases with a dense baseline in this run.'));
    return;
  }
  container.replaceChildren();
  for (const d of charts) {
    const target = h('div', { class: 'chart', role: 'img', 'aria-label': describe(d) });
    const figure = h('figure', {}, target, h('figcaption', {}, 'Above the dashed line: faster than the dense kernel. Each N:M pattern sits at its fixed sparsity, 1 − N/M.'));
    container.append(figure);
    const all = d.series.flatMap((s) => s.ys).filter((y): y is number => y !== null && y > 0);
    const lo = Math.min(...all) / 1.3;
    const hi = Math.max(...all) * 1.3;
    const xPad = d.xs.length > 1 ? (d.xs[d.xs.length - 1]! - d.xs[0]!) * 0.06 : 0.25;
    const opts: uPlot.Options = {
      title: `Speed-up vs dense — ${d.title}`,
      width: Math.max(320, Math.min(720, container.clientWidth || 720)),
      height: 300,
      scales: {
        x: { time: false, range: () => [d.xs[0]! - xPad, d.xs[d.xs.length - 1]! + xPad] },
        y: { distr: 3, log: 10, range: () => [lo, hi] },
      },
      axes: [
        { label: 'sparsity (fraction of zero weights)', splits: () => d.xs, values: (_u, splits) => splits.map(sparsityLabel) },
        { label: 'speed-up over dense (×, log)', values: (_u, splits) => splits.map((v) => (v == null ? null : `${Number(v.toPrecision(2))}×`)), size: 64 },
      ],
      series: [
        { label: 'sparsity', value: (_u, v) => (v == null ? '–' : sparsityLabel(v)) },
        ...d.series.map((s): uPlot.Series => ({
          label: s.label,
          stroke: s.color,
          width: s.kind === 'dense' ? 1 : 2,
          spanGaps: true,
          value: (_u, v) => (v == null ? '–' : `${v.toFixed(2)}×`),
          ...(s.kind === 'dense' ? { dash: [6, 4], points: { show: false } } : {}),
          // N:M patterns are single sparsities: points, not lines.
          ...(s.kind === 'nm' ? { paths: () => null, points: { show: true, size: 11, fill: s.color, stroke: s.color } } : {}),
          ...(s.kind === 'csr' ? { points: { show: true, size: 8, fill: s.color } } : {}),
        })),
      ],
    };
    plots.push(new uPlot(opts, [d.xs, ...d.series.map((s) => s.ys)] as uPlot.AlignedData, target));
  }
}
