// view-kpis.js - 指標: each KPI's baseline → value at the survey's as-of date (what the rules used)
// → target, the newest value observed after the as-of date when there is one, and the attainment at
// the as-of date, drawn as bars. Every figure is the API's (/kpis); the page only writes them.

import { h } from './dom.js';
import { warekiDate, warekiMonth, formatAttainment, formatAmount } from './format.js';
import { kpiChart } from './charts.js';
import { link, cached, listOf, summaryOf, pageHeading, show, updateChrome, scopeOf } from './core.js';


/** kpiPoint(k, 'at_as_of') → {value, date} of a KPI's observation as /kpis gives it (baseline,
 *  at_as_of, after_as_of, target), or null when there is none (both members null). */
export function kpiPoint(k, name) {
  const p = k[name];
  return p && typeof p === 'object' && typeof p.value === 'number' ? { value: p.value, date: p.date ?? null } : null;
}

/** kpiFigures(k) → the figures one KPI shows, each as the API gave it, and their written forms. */
export function kpiFigures(k) {
  const unit = k.unit || '';
  return {
    unit,
    baseline: kpiPoint(k, 'baseline'),
    atAsOf: kpiPoint(k, 'at_as_of'),
    after: kpiPoint(k, 'after_as_of'),
    target: kpiPoint(k, 'target'),
    attainment: typeof k.attainment === 'number' ? k.attainment : null,
    num: (p) => (p ? `${formatAmount(p.value)}${unit}` : '—'),
    when: (p) => (p && p.date ? warekiMonth(p.date) : '—'),
  };
}

export async function kpiView(route, survey, token) {
  const scope = scopeOf(route, survey);
  const [catalog, body] = await Promise.all([summaryOf(scope).catch(() => null), cached('kpis', { survey })]);
  if (catalog) updateChrome(scope, catalog);
  const kpis = listOf(body, 'kpis');
  const asOf = body.as_of ? warekiDate(body.as_of) : null;
  const cards = kpis.map((k) => {
    const f = kpiFigures(k);
    // the bar is drawn within 0–100 %; the number beside it is the API's, unclamped
    const bar = f.attainment === null ? 0 : Math.max(0, Math.min(f.attainment, 1)) * 100;
    const step = (key, p, cls) => h('span', { class: 'kpi__step' }, h('span', { class: 'kpi__k' }, key), ' ',
      h('strong', { class: cls }, f.num(p)), h('small', null, `（${f.when(p)}）`));
    return h('li', { class: 'kpi', 'data-kpi': k.code },
      h('article', { 'aria-labelledby': `kpi-${k.code}` },
        h('h2', { class: 'kpi__title', id: `kpi-${k.code}` }, k.title || k.code),
        h('p', { class: 'kpi__dir' }, k.direction === 'down' ? '↓ 減らす指標' : '↑ 増やす指標', k.code ? h('span', { class: 'code' }, ` ${k.code}`) : null),
        h('p', { class: 'kpi__flow' },
          step('基準', f.baseline, null),
          h('span', { class: 'kpi__arrow', 'aria-hidden': 'true' }, ' → '),
          step('調査時点', f.atAsOf, 'kpi__latest kpi__at-as-of'),
          h('span', { class: 'kpi__arrow', 'aria-hidden': 'true' }, ' → '),
          step('目標', f.target, null)),
        f.after
          ? h('p', { class: 'kpi__after' }, h('span', { class: 'kpi__k' }, '最新'), ' ',
            h('strong', { class: 'kpi__after-value' }, f.num(f.after)), h('small', null, `（${f.when(f.after)}）`),
            h('span', { class: 'kpi__after-note' }, '調査時点より後の観測値です（この調査の評価には使っていません）。'))
          : null,
        f.atAsOf ? null : h('p', { class: 'kpi__after muted' }, '調査時点までの観測値がありません。'),
        kpiChart({ unit: f.unit, baseline: f.baseline || { value: null }, atAsOf: f.atAsOf, after: f.after, target: f.target || { value: null } }),
        h('div', { class: 'kpi__att' },
          h('span', { class: 'kpi__att-label', id: `att-${k.code}` }, '達成度（調査時点）'),
          // a picture of the figure beside it (read as text), so no number of its own
          h('span', { class: 'meter', 'aria-hidden': 'true' }, h('span', { class: 'meter__bar', style: `width:${bar.toFixed(1)}%` })),
          h('strong', { class: 'kpi__att-value' },
            f.attainment === null ? h('span', { title: '調査時点の観測値がないか、目標値と基準値が同じため算出できません' }, '—') : formatAttainment(f.attainment))),
        Array.isArray(k.initiatives) && k.initiatives.length
          ? h('p', { class: 'kpi__links' }, '関連する取組: ', k.initiatives.map((c, i) => [i ? '、' : '',
            h('a', { href: link('initiative', scope, typeof c === 'string' ? c : c.code) }, typeof c === 'string' ? c : c.code)]))
          : null));
  });
  return show(token, [
    pageHeading('指標（KPI）の状況', `基準値から目標値までの進み具合。「調査時点」は${asOf ? `${asOf}（調査時点）` : '調査時点'}までで最も新しい観測値で、この調査の評価に使った値です。`
      + '達成度も調査時点の値によるものです（（調査時点 − 基準）÷（目標 − 基準））。それより後に観測された値があれば「最新」として併せて示します。'),
    kpis.length ? h('ul', { class: 'kpis' }, cards) : h('p', { class: 'notice' }, '登録されている指標はありません。'),
  ], '指標', 'kpis');
}
