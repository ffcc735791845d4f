// view-kpis.js - 指標: each KPI's baseline → latest (as of the survey) → target with attainment,
// drawn as bars.

import { h } from './dom.js';
import { warekiDate, warekiMonth, formatPercent, formatAmount } from './format.js';
import { kpiChart } from './charts.js';
import { link, cached, listOf, summaryOf, pageHeading, show, updateChrome } from './core.js';


/** point(kpi, 'baseline') → {value, date} whether the API nests ({baseline: {value, date}}) or
 *  flattens (baseline_value, baseline_date). */
export function point(k, name) {
  const v = k[name];
  if (v && typeof v === 'object') return { value: v.value ?? null, date: v.date ?? null };
  if (typeof v === 'number') return { value: v, date: k[`${name}_date`] ?? null };
  if (`${name}_value` in k) return { value: k[`${name}_value`], date: k[`${name}_date`] ?? null };
  return null;
}

export function attainmentOf(k, base, latest, target) {
  if (typeof k.attainment === 'number') return k.attainment;
  if (!latest || typeof latest.value !== 'number' || target.value === base.value) return null;
  return (latest.value - base.value) / (target.value - base.value);
}

export async function kpiView(route, survey, token) {
  const [catalog, body] = await Promise.all([summaryOf(survey).catch(() => null), cached('kpis', { survey })]);
  if (catalog) updateChrome(survey, catalog);
  const kpis = listOf(body, 'kpis');
  const cards = kpis.map((k) => {
    const base = point(k, 'baseline') || { value: null, date: null };
    let latest = point(k, 'latest');
    if (!latest && Array.isArray(k.values) && k.values.length) latest = k.values[k.values.length - 1];
    const target = point(k, 'target') || { value: null, date: null };
    const unit = k.unit || '';
    const att = attainmentOf(k, base, latest, target);
    const pct = typeof att === 'number' ? Math.max(0, Math.min(att, 1)) * 100 : null;
    const when = (d) => (d ? warekiMonth(d) : '—');
    const num = (v) => (typeof v === 'number' ? `${formatAmount(v)}${unit}` : '—');
    return h('li', { class: 'kpi' },
      h('article', { 'aria-labelledby': `kpi-${k.code}` },
        h('h2', { class: 'kpi__title', id: `kpi-${k.code}` }, k.title || k.code),
        h('p', { class: 'kpi__dir' }, k.direction === 'down' ? '↓ 減らす指標' : '↑ 増やす指標', k.code ? h('span', { class: 'code' }, ` ${k.code}`) : null),
        h('p', { class: 'kpi__flow' },
          h('span', null, h('span', { class: 'kpi__k' }, '基準'), ' ', h('strong', null, num(base.value)), h('small', null, `（${when(base.date)}）`)),
          h('span', { class: 'kpi__arrow', 'aria-hidden': 'true' }, ' → '),
          h('span', null, h('span', { class: 'kpi__k' }, '最新'), ' ', h('strong', { class: 'kpi__latest' }, num(latest && latest.value)), h('small', null, `（${when(latest && latest.date)}）`)),
          h('span', { class: 'kpi__arrow', 'aria-hidden': 'true' }, ' → '),
          h('span', null, h('span', { class: 'kpi__k' }, '目標'), ' ', h('strong', null, num(target.value)), h('small', null, `（${when(target.date)}）`))),
        kpiChart({ unit, baseline: base, latest, target }),
        h('div', { class: 'kpi__att' },
          h('span', { class: 'kpi__att-label', id: `att-${k.code}` }, '達成度'),
          h('span', { class: 'meter', role: 'meter', 'aria-labelledby': `att-${k.code}`, 'aria-valuemin': '0', 'aria-valuemax': '100',
            'aria-valuenow': pct === null ? null : pct.toFixed(1) },
          h('span', { class: 'meter__bar', style: `width:${pct === null ? 0 : pct.toFixed(1)}%` })),
          h('strong', { class: 'kpi__att-value' }, typeof att === 'number' ? formatPercent(Math.round(att * 1000) / 10) : '—')),
        Array.isArray(k.initiatives) && k.initiatives.length
          ? h('p', { class: 'kpi__links' }, '関連する取組: ', k.initiatives.map((c, i) => [i ? '、' : '',
            h('a', { href: link('initiative', { survey }, typeof c === 'string' ? c : c.code) }, typeof c === 'string' ? c : c.code)]))
          : null));
  });
  return show(token, [
    pageHeading('指標（KPI）の状況', `基準値から最新の観測値${body.as_of ? `（${warekiDate(body.as_of)}までの観測）` : ''}、目標値までの進み具合。達成度 =（最新 − 基準）÷（目標 − 基準）。`),
    kpis.length ? h('ul', { class: 'kpis' }, cards) : h('p', { class: 'notice' }, '登録されている指標はありません。'),
  ], '指標', 'kpis');
}
