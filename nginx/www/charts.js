// charts.js - hand-made SVG charts (no library needed for a donut, bars and a line): categories are
// told apart by fill pattern and icon as well as colour, and every chart has a text alternative.

import { s } from './dom.js';
import { formatPercent, formatScore, formatAmount } from './format.js';

/** Category tone by position in the rule set's display order: the first category is the good one,
 *  the last (the catch-all) the bad one, any between are "mid". Ids are the planners' to choose, so
 *  the dashboard never hard-codes them. */
export function categoryTone(index, n) {
  if (index <= 0) return 'good';
  if (index >= n - 1) return 'bad';
  return 'mid';
}

/** The symbol printed beside each category label (○ △ ×, as Japanese status tables use). */
export const TONE_ICON = { good: '○', mid: '△', bad: '×' };
const TONE_FILL = { good: 'url(#pat-good)', mid: 'url(#pat-mid)', bad: 'url(#pat-bad)' };

/** Adds the shared <defs> (fill patterns) to the page once; charts refer to them by id. */
export function installChartDefs() {
  if (document.getElementById('chart-defs')) return;
  const svg = s('svg', { id: 'chart-defs', width: 0, height: 0, 'aria-hidden': 'true', focusable: 'false',
    style: 'position:absolute;width:0;height:0;overflow:hidden' },
  s('defs', null,
    s('pattern', { id: 'pat-good', width: 4, height: 4, patternUnits: 'userSpaceOnUse' },
      s('rect', { width: 4, height: 4, fill: '#2b7a4b' })),
    s('pattern', { id: 'pat-mid', width: 4, height: 4, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      s('rect', { width: 4, height: 4, fill: '#c98500' }),
      s('rect', { width: 1.4, height: 4, fill: '#fff', 'fill-opacity': '0.55' })),
    s('pattern', { id: 'pat-bad', width: 4, height: 4, patternUnits: 'userSpaceOnUse' },
      s('rect', { width: 4, height: 4, fill: '#c0392b' }),
      s('circle', { cx: 2, cy: 2, r: 0.9, fill: '#fff', 'fill-opacity': '0.6' }))));
  document.body.prepend(svg);
}

/** donutChart(categories, total) → an SVG donut of the category shares with the total inside. */
export function donutChart(categories, total) {
  const n = categories.length;
  const r = 15.9155; // circumference 100: dash lengths are percentages
  const alt = categories.map((c) => `${c.label} ${c.count}件（${formatPercent(c.percent)}）`).join('、');
  const svg = s('svg', { class: 'donut', viewBox: '0 0 42 42', role: 'img', 'aria-label': `区分別の割合: ${alt}` },
    s('circle', { cx: 21, cy: 21, r, fill: 'none', stroke: '#e4e7ec', 'stroke-width': 7 }));
  let offset = 25; // start at 12 o'clock
  const sum = categories.reduce((a, c) => a + (c.count || 0), 0);
  categories.forEach((c, i) => {
    if (!sum || !c.count) return;
    const len = (c.count / sum) * 100;
    const gap = n > 1 && len < 100 ? 0.4 : 0;
    svg.append(s('circle', {
      cx: 21, cy: 21, r, fill: 'none', stroke: TONE_FILL[categoryTone(i, n)], 'stroke-width': 7,
      'stroke-dasharray': `${Math.max(len - gap, 0.1)} ${100 - Math.max(len - gap, 0.1)}`,
      'stroke-dashoffset': String(offset),
    }));
    offset -= len;
  });
  svg.append(
    s('text', { x: 21, y: 20.5, 'text-anchor': 'middle', class: 'donut__total' }, String(total)),
    s('text', { x: 21, y: 26, 'text-anchor': 'middle', class: 'donut__unit' }, '取組'));
  return svg;
}

/** stackBar(parts) → a thin 100 % bar of category counts, e.g. in a department's row.
 *  parts: [{label, count, tone}]. */
export function stackBar(parts) {
  const sum = parts.reduce((a, p) => a + (p.count || 0), 0);
  const alt = parts.map((p) => `${p.label} ${p.count}件`).join('、');
  const svg = s('svg', { class: 'stackbar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': alt });
  if (!sum) {
    svg.append(s('rect', { width: 100, height: 10, fill: '#e4e7ec' }));
    return svg;
  }
  let x = 0;
  for (const p of parts) {
    if (!p.count) continue;
    const w = (p.count / sum) * 100;
    svg.append(s('rect', { x, y: 0, width: w, height: 10, fill: TONE_FILL[p.tone] }));
    x += w;
  }
  return svg;
}

/** kpiChart(kpi) → horizontal bars for baseline, the value at the survey's as-of date, the newest
 *  later value (a bar only when there is one) and target, on one scale.
 *  kpi: {unit, baseline: {value}, atAsOf: {value} | null, after: {value} | null, target: {value}}. */
export function kpiChart(kpi) {
  const rows = [
    { key: '基準', v: kpi.baseline.value, cls: 'kpi-bar--baseline' },
    { key: '調査時点', v: kpi.atAsOf ? kpi.atAsOf.value : null, cls: 'kpi-bar--latest' },
    kpi.after ? { key: '最新', v: kpi.after.value, cls: 'kpi-bar--after' } : null,
    { key: '目標', v: kpi.target.value, cls: 'kpi-bar--target' },
  ].filter(Boolean);
  const vals = rows.map((r) => r.v).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const max = Math.max(0, ...vals);
  const min = Math.min(0, ...vals);
  const W = 300, left = 52, right = 86, barH = 18, gap = 10, top = 6;
  const span = max - min || 1;
  const x = (v) => left + ((v - min) / span) * (W - left - right);
  const H = top + rows.length * (barH + gap);
  const alt = rows.map((r) => `${r.key} ${r.v === null || r.v === undefined ? 'なし' : formatAmount(r.v) + kpi.unit}`).join('、');
  const svg = s('svg', { class: 'kpi-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': alt });
  // the target as a line behind all bars, so "how far to go" reads at a glance
  if (typeof kpi.target.value === 'number') {
    const tx = x(kpi.target.value);
    svg.append(s('line', { x1: tx, x2: tx, y1: 2, y2: H - 2, class: 'kpi-chart__target-line' }));
  }
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    svg.append(s('text', { x: 0, y: y + barH / 2 + 4, class: 'kpi-chart__key' }, r.key));
    if (typeof r.v !== 'number' || !Number.isFinite(r.v)) {
      svg.append(s('text', { x: left + 4, y: y + barH / 2 + 4, class: 'kpi-chart__value' }, '観測値なし'));
      return;
    }
    const x0 = x(Math.min(0, r.v)), x1 = x(Math.max(0, r.v));
    svg.append(s('rect', { x: x0, y, width: Math.max(x1 - x0, 1), height: barH, class: r.cls, rx: 2 }));
    svg.append(s('text', { x: x1 + 6, y: y + barH / 2 + 4, class: 'kpi-chart__value' }, `${formatAmount(r.v)}${kpi.unit}`));
  });
  return svg;
}

/** historyChart(points) → the score across surveys as a line (0–100), labels under the points.
 *  points: [{label, score}] oldest first; a null score leaves a gap. */
export function historyChart(points) {
  const W = 360, H = 150, left = 30, right = 44, top = 16, bottom = 30;
  const n = points.length;
  const inset = 28; // keeps the first and last value labels clear of the axis labels
  const xs = (i) => (n === 1 ? (left + W - right) / 2 : left + inset + (i * (W - left - right - 2 * inset)) / (n - 1));
  const ys = (v) => top + (1 - v / 100) * (H - top - bottom);
  const alt = points.map((p) => `${p.label} ${formatScore(p.score)}`).join('、');
  const svg = s('svg', { class: 'history-chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `スコアの推移: ${alt}` });
  for (const v of [0, 50, 100]) {
    svg.append(s('line', { x1: left, x2: W - right, y1: ys(v), y2: ys(v), class: 'history-chart__grid' }),
      s('text', { x: left - 6, y: ys(v) + 4, 'text-anchor': 'end', class: 'history-chart__axis' }, String(v)));
  }
  // a null score breaks the line into separate runs
  const runs = [[]];
  points.forEach((p, i) => {
    if (typeof p.score === 'number') runs[runs.length - 1].push(`${xs(i).toFixed(1)},${ys(p.score).toFixed(1)}`);
    else if (runs[runs.length - 1].length) runs.push([]);
  });
  const d = runs.filter((r) => r.length).map((r) => `M${r.join('L')}`).join('');
  if (d) svg.append(s('path', { d, class: 'history-chart__line' }));
  points.forEach((p, i) => {
    svg.append(s('text', { x: xs(i), y: H - 10, 'text-anchor': 'middle', class: 'history-chart__axis' }, p.label));
    if (typeof p.score === 'number') {
      svg.append(s('circle', { cx: xs(i), cy: ys(p.score), r: 4, class: 'history-chart__dot' }),
        s('text', { x: xs(i), y: ys(p.score) - 8, 'text-anchor': 'middle', class: 'history-chart__value' }, formatScore(p.score)));
    }
  });
  return svg;
}
