// view-initiative.js - 取組詳細: category, score, reasons and recommendations; the department's
// report and the facts as the API writes them (fact_display: label, unit and text from the run's
// fact schema, the reported reason first; identifiers on hover and under 識別子); the explanation
// (a plain-Japanese conclusion, then every rule step with its values and file line); related KPIs
// and the history across surveys. Every identifier (fact, rule, expression, file) stands in a
// <code> element: the page's own words are Japanese.

import { h } from './dom.js';
import { apiGet } from './api.js';
import { warekiDate, formatAttainment, formatScore, formatNumber } from './format.js';
import { historyChart } from './charts.js';
import {
  link, cached, listOf, summaryOf, surveyName, categoryBadge, flagBadge, tableWrap, pageHeading, show, updateChrome, scopeOf,
} from './core.js';
import { kpiFigures } from './view-kpis.js';

const KIND_LABEL = { derived: '派生値', reason: '理由', flag: '注意フラグ', category: '評価区分', score: 'スコア' };

/** plainValue(v) → a value the API gives without a display text (a derived value, a threshold, a
 *  rule's result) in Japanese: はい/いいえ, 値なし, a number as written. */
function plainValue(v) {
  if (v === null || v === undefined) return '値なし';
  if (v === true) return 'はい';
  if (v === false) return 'いいえ';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

/** factsByName(it) → Map name → the API's fact_display entry ({name, label, unit, value, text}). */
function factsByName(it) {
  return new Map((it.fact_display || []).map((f) => [f.name, f]));
}

/** inputItem(name, value, facts) → one value a rule read: a fact by its label and the API's text
 *  (the identifier on hover), any other name (derived, threshold) as the identifier it is. */
function inputItem(name, value, facts) {
  const f = facts.get(name);
  return f ? [h('span', { title: name }, f.label), ' = ', f.text]
    : [h('code', null, name), ' = ', plainValue(value)];
}

function explanationList(steps, catalog, facts) {
  return h('ol', { class: 'explain' }, steps.map((st) => {
    const hit = st.result === true;
    const inputs = Object.entries(st.inputs || {});
    let verdict;
    if (st.kind === 'derived' || st.kind === 'score') verdict = `= ${plainValue(st.result)}`;
    else if (st.result === true) verdict = st.kind === 'category' ? '一致（この区分）' : '該当';
    else if (st.result === false) verdict = '該当しない';
    else verdict = '判定できず（値なし）';
    const label = st.kind === 'category' ? ((catalog.categories || []).find((c) => c.id === st.id) || {}).label
      : st.kind === 'reason' ? ((catalog.reasons || []).find((c) => c.id === st.id) || {}).label
        : st.kind === 'flag' ? ((catalog.flags || []).find((c) => c.id === st.id) || {}).label : null;
    return h('li', { class: `explain__step${hit ? ' explain__step--hit' : ''}` },
      h('div', { class: 'explain__head' },
        h('span', { class: 'explain__kind' }, KIND_LABEL[st.kind] || st.kind),
        h('code', { class: 'explain__id' }, st.id),
        label ? h('span', { class: 'explain__label' }, label) : null,
        h('span', { class: `explain__verdict${hit ? ' explain__verdict--hit' : ''}` },
          hit ? h('span', { 'aria-hidden': 'true' }, '✔ ') : null, verdict)),
      h('p', { class: 'explain__text' }, st.text || ''),
      h('dl', { class: 'explain__facts' },
        h('div', null, h('dt', null, '式'), h('dd', null, st.expression === null || st.expression === undefined
          ? h('span', { class: 'muted' }, '（条件なし: 最後の区分）') : h('code', null, st.expression))),
        inputs.length ? h('div', null, h('dt', null, '使った値'), h('dd', null, h('ul', { class: 'inputs' },
          inputs.map(([k, v]) => h('li', null, inputItem(k, v, facts)))))) : null,
        h('div', null, h('dt', null, '定義箇所'), h('dd', null, h('code', null, st.source || '—')))));
  }));
}

/** explanationSummary(it, catalog) → the explanation's conclusion in plain Japanese: which
 *  reasons and flags matched (with the values and the rule's line), and which category followed. */
function explanationSummary(it, catalog) {
  const steps = it.explanation || [];
  const labelOf = (list, id) => ((list || []).find((x) => x.id === id) || {}).label || id;
  const facts = factsByName(it);
  const values = (st) => {
    const list = Object.entries(st.inputs || {});
    return list.length ? list.map(([k, v], i) => [i ? '、' : '', inputItem(k, v, facts)])
      : [h('code', null, st.expression)];
  };
  const where = (st) => h('code', null, String(st.source || '—').split('/').pop()); // 'default.cfg:51' (the steps show the full path)
  const lines = [];
  for (const st of steps.filter((x) => x.kind === 'reason' && x.result === true)) {
    lines.push(h('li', null, '理由「', h('strong', null, labelOf(catalog.reasons, st.id)), '」に該当しました',
      '（', values(st), '。定義: ', where(st), '）。'));
  }
  for (const st of steps.filter((x) => x.kind === 'flag' && x.result === true)) {
    lines.push(h('li', null, '注意フラグ「', h('strong', null, labelOf(catalog.flags, st.id)), '」が付きました',
      '（', values(st), '。定義: ', where(st), '）。'));
  }
  const cat = steps.filter((x) => x.kind === 'category' && x.result === true).pop();
  if (cat) {
    const why = cat.expression === null || cat.expression === undefined
      ? ['それより前の区分の条件にどれも一致しなかったため']
      : ['条件 ', h('code', null, cat.expression), ' に一致したため'];
    lines.push(h('li', null, ...why, '、評価区分は「', h('strong', null, labelOf(catalog.categories, cat.id)),
      '」です（定義: ', where(cat), '）。'));
  }
  if (!steps.some((x) => x.kind === 'reason' && x.result === true)) lines.unshift(h('li', null, '該当する理由はありません。'));
  lines.push(h('li', null, typeof it.score === 'number'
    ? `スコアは ${formatScore(it.score)} 点（100点満点、スコアの各要素の加重平均）です。`
    : 'スコアは算出できませんでした（すべての要素の値がありません）。'));
  return h('div', { class: 'explain-summary' }, h('h3', null, '判定の要約'), h('ul', null, lines));
}

/** whatIfSection(list) → 何が変われば改善するか: the API's counterfactuals (one fact changed, the
 *  others as reported; values exact at the boundary, found by the engine): a row per fact and
 *  better category that one value reaches, then the categories no single fact reaches. Null for
 *  an initiative in the first category (the API gives []). */
function whatIfSection(list) {
  if (!list.length) return null;
  const found = list.filter((c) => c.found);
  const categories = [...new Map(list.map((c) => [c.category, c.category_label])).entries()];
  const unreached = categories.filter(([id]) => !found.some((c) => c.category === id));
  const word = (c) => (c.direction === 'at_least' ? '以上' : c.direction === 'at_most' ? '以下' : '');
  return h('section', { class: 'panel', 'aria-labelledby': 'whatif-h' },
    h('h2', { id: 'whatif-h' }, '何が変われば改善するか'),
    h('p', { class: 'panel__note' }, 'ほかの値は報告どおりのまま、ひとつの値だけを変えたときに、よりよい評価区分になる最も近い値です。評価ルールで境目の両側を計算して確かめています。'),
    found.length ? tableWrap('何が変われば改善するか', h('table', { class: 'data data--whatif' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, '項目'), h('th', { scope: 'col' }, '現在'),
        h('th', { scope: 'col' }, '必要な値'), h('th', { scope: 'col' }, 'なる評価区分'), h('th', { scope: 'col' }, '説明'))),
      h('tbody', null, found.map((c) => h('tr', { 'data-fact': c.fact, 'data-category': c.category },
        h('th', { scope: 'row', title: c.fact }, c.label),
        h('td', null, c.value_text),
        h('td', { title: c.to_exact ? `境目 ${c.to_exact}（直前 ${c.before.exact}）` : null }, `${c.to_text}${word(c) ? ` ${word(c)}` : ''}`),
        h('td', null, c.category_label),
        h('td', null, c.text)))))) : null,
    unreached.length ? h('ul', { class: 'plain-list whatif-none' }, unreached.map(([, label]) =>
      h('li', null, `どの項目もひとつ変えるだけでは「${label}」になりません。`))) : null);
}

export async function initiativeView(route, survey, token) {
  const code = route.arg;
  const scope = scopeOf(route, survey);
  const [catalog, it, kpiBody] = await Promise.all([summaryOf(scope), apiGet(`initiatives/${encodeURIComponent(code)}`, scope),
    cached('kpis', { survey }).catch(() => null)]);
  updateChrome(scope, catalog);
  const kpis = kpiBody === null ? null
    : listOf(kpiBody, 'kpis').filter((k) => (k.initiatives || []).some((c) => (typeof c === 'string' ? c : c.code) === it.code));
  const reasons = it.reasons || [];
  const flags = it.flags || [];
  const recs = it.recommendations || [];
  const facts = it.fact_display || [];
  const history = it.history || [];
  const back = h('nav', { class: 'breadcrumb', 'aria-label': 'パンくずリスト' }, h('ol', null,
    h('li', null, h('a', { href: link('summary', scope) }, '概要')),
    h('li', null, h('a', { href: link('list', scope) }, '取組一覧')),
    h('li', null, h('a', { href: link('list', { ...scope, measure: it.measure && it.measure.code }) }, `施策 ${it.measure ? it.measure.code : ''}`)),
    h('li', { 'aria-current': 'page' }, it.code)));
  const head = h('section', { class: 'detail-head' },
    h('div', { class: 'detail-head__main' },
      h('dl', { class: 'detail-meta' },
        h('div', null, h('dt', null, '施策'), h('dd', null, it.measure ? `${it.measure.code} ${it.measure.title || ''}` : '—')),
        h('div', null, h('dt', null, '所管課'), h('dd', null, (it.departments || []).join('、') || '—')),
        h('div', null, h('dt', null, '調査'), h('dd', null, surveyName(it.survey || catalog.survey))))),
    h('div', { class: 'detail-head__result' },
      h('p', { class: 'detail-head__label' }, '評価区分'), categoryBadge(it.category, catalog, true),
      h('p', { class: 'detail-head__label' }, 'スコア'),
      h('p', { class: 'detail-head__score' }, formatScore(it.score), h('span', { class: 'detail-head__of' }, ' / 100'))));
  const findings = h('section', { class: 'panel', 'aria-labelledby': 'find-h' },
    h('h2', { id: 'find-h' }, '理由と対応'),
    h('div', { class: 'findings' },
      h('div', null, h('h3', null, '該当した理由'), reasons.length
        ? h('ol', { class: 'plain-list' }, reasons.map((r, i) => h('li', null, r.label || r.id, i === 0 && reasons.length > 1 ? h('span', { class: 'tag' }, '主な理由') : null)))
        : h('p', { class: 'muted' }, '該当する理由はありません')),
      h('div', null, h('h3', null, '注意フラグ'), flags.length
        ? h('ul', { class: 'chips' }, flags.map((f) => h('li', null, flagBadge(f))))
        : h('p', { class: 'muted' }, '注意フラグはありません')),
      h('div', { class: 'findings__recs' }, h('h3', null, '対応（推奨）'), recs.length
        ? h('ol', { class: 'plain-list recs' }, recs.map((r) => h('li', null, r)))
        : h('p', { class: 'muted' }, '特に対応の推奨はありません'))));
  const explain = h('section', { class: 'panel', 'aria-labelledby': 'exp-h' },
    h('h2', { id: 'exp-h' }, '評価の説明'),
    h('p', { class: 'panel__note' }, '評価ルールを上から順に適用した結果です。各段階で、どのルール（種類・識別子）が、どの値を使い、ルールファイルのどの行で定義されているかを示します。✔ は該当・一致した段階です。'),
    (it.explanation || []).length
      ? [explanationSummary(it, catalog), h('h3', { class: 'explain-steps-h' }, '評価の手順'), explanationList(it.explanation, catalog, factsByName(it))]
      : h('p', { class: 'muted' }, '説明はありません'));
  // the facts as the API writes them (fact_display), in its order: the department's reported
  // reason first; the identifiers and stored values for planners under 識別子と保存値
  const factTable = h('section', { class: 'panel', 'aria-labelledby': 'facts-h' },
    h('h2', { id: 'facts-h' }, '所管課の報告と評価に使った事実'),
    h('p', { class: 'panel__note' }, '各課の進捗報告と、そこから算出した値です。評価ルールはこれらの値で判定しています。'),
    facts.length ? [
      tableWrap('評価に使った事実', h('table', { class: 'data data--facts' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, '項目'), h('th', { scope: 'col' }, '値'))),
        h('tbody', null, facts.map((f) => h('tr', { 'data-fact': f.name },
          h('th', { scope: 'row', title: f.name }, f.label),
          h('td', { class: f.value === null ? 'muted' : (f.display === 'text' ? '' : 'fact-figure') }, f.text)))))),
      h('details', { class: 'fact-ids' },
        h('summary', null, '識別子と保存値（評価ルールを書く方向け）'),
        h('p', { class: 'panel__note' }, '評価ルールの式では、各項目を次の識別子で参照します。値は保存されたとおりです。'),
        h('ul', { class: 'inputs' }, facts.map((f) => h('li', null, f.label, '：', h('code', null, f.name), ' = ',
          h('code', null, JSON.stringify(f.value))))))]
      : h('p', { class: 'muted' }, '事実はありません'));
  const hist = h('section', { class: 'panel', 'aria-labelledby': 'hist-h' },
    h('h2', { id: 'hist-h' }, '調査ごとの推移'),
    h('p', { class: 'panel__note' }, '各調査の最新の評価による評価区分とスコアです。'),
    history.length ? [
      history.length > 1 ? h('figure', { class: 'history' }, historyChart(history.map((x) => ({ label: surveyName(x.survey), score: x.score }))),
        h('figcaption', { class: 'visually-hidden' }, 'スコアの推移')) : null,
      tableWrap('調査ごとの推移', h('table', { class: 'data' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, '調査'), h('th', { scope: 'col' }, '調査時点'),
          h('th', { scope: 'col' }, '評価区分'), h('th', { scope: 'col', class: 'num' }, 'スコア'))),
        h('tbody', null, history.map((x) => h('tr', null,
          h('th', { scope: 'row' }, x.survey ? h('a', { href: link('initiative', x.survey.code === survey ? scope : { survey: x.survey.code }, it.code) }, surveyName(x.survey)) : '—'),
          h('td', null, x.survey ? warekiDate(x.survey.as_of) : '—'),
          h('td', null, categoryBadge(x.category, catalog)),
          h('td', { class: 'num' }, formatScore(x.score)))))))]
      : h('p', { class: 'muted' }, '過去の調査の評価はありません'));
  const whatIf = whatIfSection(it.counterfactuals || []);
  const kpiSection = kpis && kpis.length ? h('section', { class: 'panel', 'aria-labelledby': 'kpi-h' },
    h('h2', { id: 'kpi-h' }, '関連する指標'),
    h('p', { class: 'panel__note' }, `事実「${(factsByName(it).get('kpi_attainment') || { label: '指標の達成度' }).label}」は、これらの指標の調査時点の達成度の平均です。「最新」は調査時点より後の観測値で、評価には使っていません。`),
    tableWrap('関連する指標', h('table', { class: 'data data--kpis' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, '指標'), h('th', { scope: 'col' }, '基準 → 調査時点 → 目標'),
        h('th', { scope: 'col' }, '最新（調査時点より後）'), h('th', { scope: 'col', class: 'num' }, '達成度（調査時点）'))),
      h('tbody', null, kpis.map((k) => {
        const f = kpiFigures(k);
        return h('tr', null, h('th', { scope: 'row' }, h('a', { href: link('kpis', scope) }, k.title || k.code)),
          h('td', null, `${f.num(f.baseline)} → ${f.num(f.atAsOf)}（${f.when(f.atAsOf)}）→ ${f.num(f.target)}`),
          h('td', null, f.after ? `${f.num(f.after)}（${f.when(f.after)}）` : h('span', { class: 'muted' }, 'なし')),
          h('td', { class: 'num' }, formatAttainment(f.attainment)));
      }))))) : null;
  return show(token, [back, pageHeading(`${it.code} ${it.title || ''}`), head, findings, factTable, explain, whatIf, kpiSection, hist],
    `${it.code} ${it.title || ''}`, `initiative:${it.code}`);
}
