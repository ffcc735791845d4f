// view-rules.js - ルール調整 (the planner page): choose a threshold of the rules the server has
// loaded, move it (slider or number), and see at once the category and primary-reason counts and
// the initiatives whose category changes, from GET /api/v1/rules/sweep?threshold=NAME&value=V
// (the server evaluates the survey's facts with that one value overridden; nothing is stored and
// the rule file is not changed). The page gives the `--set thresholds.NAME=V` line to try the
// value with `hyoka diff` and the line to write into the rule file.
//
// The state is in the URL (#/rules?survey=2023&threshold=on_track_ratio&value=0.7), kept with
// history.replaceState while the value moves, so that a reload or a shared link shows the same.
// Requests are throttled (one in flight, one per MIN_INTERVAL_MS); the newest value is always the
// last one asked for, and only the newest answer is drawn.

import { h } from './dom.js';
import { apiGet, ApiError } from './api.js';
import { formatNumber } from './format.js';
import {
  link, summaryOf, tableWrap, pageHeading, show, updateChrome, categoryBadge, errorPanel, setStatus,
} from './core.js';

// at most one request in flight and one every MIN_INTERVAL_MS (nginx allows 10/s per client on
// this path): a slider dragged across its range asks for the newest value as soon as it may
const MIN_INTERVAL_MS = 100;
const MAX_CHANGES_SHOWN = 200;

/** sliderRange(v0) → {min, max, step} for a threshold whose file value is v0: up to 1 (ratios)
 *  0 to 2·v0 (at least 1) by 0.01, whole numbers 0–2·v0 by 1, anything else 0–2·v0 in 100 steps.
 *  The number field takes any value. */
function sliderRange(v0) {
  if (v0 >= 0 && v0 <= 1) return { min: 0, max: Math.max(1, Math.round(200 * v0) / 100), step: 0.01 };
  const max = Math.abs(v0) * 2 || 1;
  return { min: v0 < 0 ? -max : 0, max, step: Number.isInteger(v0) ? 1 : max / 100 };
}

/** countsTable(id, caption, rows) → a table of {id, label, file, now} with the difference. */
function countsTable(id, caption, rows, catalog, badges) {
  return tableWrap(caption, h('table', { class: 'data data--rules', id },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, caption),
      h('th', { scope: 'col', class: 'num' }, 'ルールファイルの値'), h('th', { scope: 'col', class: 'num' }, 'この値'),
      h('th', { scope: 'col', class: 'num' }, '差'))),
    h('tbody', null, rows.map((r) => {
      const d = r.now - r.file;
      return h('tr', { 'data-id': r.id },
        h('th', { scope: 'row' }, badges ? categoryBadge({ id: r.id, label: r.label }, catalog) : r.label),
        h('td', { class: 'num count-file' }, String(r.file)),
        h('td', { class: 'num count-now' }, String(r.now)),
        h('td', { class: `num count-diff${d ? ' count-diff--moved' : ''}` }, d > 0 ? `+${d}` : String(d)));
    }))));
}

export async function rulesView(route, survey, token) {
  const scope = { survey };
  const [rules, catalog] = await Promise.all([apiGet('rules'), summaryOf(scope)]);
  updateChrome(scope, catalog);
  const thresholds = rules.thresholds || [];
  if (!thresholds.length) {
    return show(token, [pageHeading('ルール調整'), h('p', { class: 'muted' }, '読み込まれた評価ルールには基準値（thresholds）がありません。')],
      'ルール調整', 'rules');
  }
  const labelOf = (list, id) => ((list || []).find((x) => x.id === id) || {}).label || id;
  let current = thresholds.find((t) => t.name === route.params.get('threshold')) || thresholds[0];
  const asked = Number(route.params.get('value'));
  let value = route.params.get('value') !== null && Number.isFinite(asked) ? asked : current.value;

  const select = h('select', { id: 'rules-threshold', name: 'threshold' },
    thresholds.map((t) => h('option', { value: t.name, selected: t.name === current.name }, `${t.name}（ファイルの値 ${formatNumber(t.value)}）`)));
  const slider = h('input', { type: 'range', id: 'rules-slider', 'aria-label': '基準値（スライダー）' });
  const number = h('input', { type: 'number', id: 'rules-value', step: 'any', inputmode: 'decimal' });
  const reset = h('button', { type: 'button', class: 'button button--small', id: 'rules-reset' }, 'ファイルの値に戻す');
  const setLine = h('code', { id: 'rules-set-line' });
  const fileLine = h('code', { id: 'rules-file-line' });
  const timing = h('span', { class: 'muted', id: 'rules-timing' });
  const result = h('div', { id: 'rules-result', 'aria-live': 'polite' });

  function configureSlider() {
    const r = sliderRange(current.value);
    slider.min = String(Math.min(r.min, value));
    slider.max = String(Math.max(r.max, value));
    slider.step = String(r.step);
    slider.value = String(value);
    number.value = String(value);
  }

  function remember() {
    const url = link('rules', { survey, threshold: current.name, value: value === current.value ? null : value });
    history.replaceState(null, '', url);
    // the URL the page shows (app.js's render sets it; tests and scripts wait on it)
    document.documentElement.dataset.rendered = location.hash;
  }

  function draw(doc, ms) {
    const points = doc.points || [];
    const file = points[0];
    const now = points[points.length - 1];
    const rows = (key, list) => (file[key] || []).map((c, i) => ({
      id: c.id, label: labelOf(list, c.id), file: c.count, now: ((now[key] || [])[i] || {}).count ?? 0,
    }));
    const changes = doc.changes || [];
    result.replaceChildren(
      h('section', { class: 'panel', 'aria-labelledby': 'rules-counts-h' },
        h('h2', { id: 'rules-counts-h' }, `${doc.threshold} = ${formatNumber(now.value)} のとき（${now.total} 件）`),
        countsTable('rules-categories', '評価区分', rows('categories', catalog.categories), catalog, true),
        countsTable('rules-reasons', '主な理由', rows('reasons', catalog.reasons), catalog, false)),
      h('section', { class: 'panel', 'aria-labelledby': 'rules-changes-h' },
        h('h2', { id: 'rules-changes-h' }, `評価区分が変わる取組（${changes.length} 件）`),
        changes.length ? tableWrap('評価区分が変わる取組', h('table', { class: 'data', id: 'rules-changes' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, '取組'), h('th', { scope: 'col' }, 'ルールファイルの値で'),
            h('th', { scope: 'col' }, 'この値で'))),
          h('tbody', null, changes.slice(0, MAX_CHANGES_SHOWN).map((c) => {
            const f = c.flips[c.flips.length - 1];
            return h('tr', { 'data-code': c.code },
              h('th', { scope: 'row' }, h('a', { href: link('initiative', { survey }, c.code) }, c.code)),
              h('td', null, categoryBadge({ id: f.from, label: labelOf(catalog.categories, f.from) }, catalog)),
              h('td', null, categoryBadge({ id: f.to, label: labelOf(catalog.categories, f.to) }, catalog)));
          }))))
          : h('p', { class: 'muted' }, 'この値では、評価区分の変わる取組はありません。'),
        changes.length > MAX_CHANGES_SHOWN ? h('p', { class: 'muted' }, `最初の ${MAX_CHANGES_SHOWN} 件を表示しています。`) : null));
    result.dataset.threshold = doc.threshold;
    result.dataset.value = String(now.value);
    timing.textContent = `（${Math.round(ms)} ミリ秒）`;
    setLine.textContent = `--set thresholds.${current.name}=${value}`;
    fileLine.textContent = `${current.name} = ${value};`;
  }

  let seq = 0;
  let timer = null;
  let inflight = false;
  let pending = false;
  let lastStart = -Infinity;
  async function update() {
    const mine = ++seq;
    const started = performance.now();
    inflight = true;
    pending = false;
    lastStart = started;
    result.setAttribute('aria-busy', 'true');
    try {
      const doc = await apiGet('rules/sweep', { survey, threshold: current.name, value });
      if (mine !== seq) return;
      draw(doc, performance.now() - started);
    } catch (e) {
      if (mine !== seq) return;
      result.replaceChildren(errorPanel(e, update, { inline: true }));
      result.dataset.value = '';
      if (e instanceof ApiError && e.kind === 'client') setStatus(e.detail);
    } finally {
      inflight = false;
      if (pending) schedule();
      else if (mine === seq) result.setAttribute('aria-busy', 'false');
    }
  }
  function schedule() {
    if (inflight) { pending = true; return; }
    clearTimeout(timer);
    timer = setTimeout(update, Math.max(0, lastStart + MIN_INTERVAL_MS - performance.now()));
  }
  function setValue(v) {
    if (!Number.isFinite(v)) return;
    value = v;
    slider.value = String(v);
    if (Number(number.value) !== v) number.value = String(v);
    remember();
    schedule();
  }

  select.addEventListener('change', () => {
    current = thresholds.find((t) => t.name === select.value) || thresholds[0];
    value = current.value;
    configureSlider();
    remember();
    schedule();
  });
  slider.addEventListener('input', () => setValue(Number(slider.value)));
  number.addEventListener('input', () => { if (number.value !== '') setValue(Number(number.value)); });
  reset.addEventListener('click', () => setValue(current.value));
  configureSlider();

  const form = h('section', { class: 'panel', 'aria-labelledby': 'rules-form-h' },
    h('h2', { id: 'rules-form-h' }, '基準値を動かす'),
    h('p', { class: 'panel__note' }, 'サーバーが読み込んでいる評価ルールで、選んだ基準値だけを変えて、この調査のすべての取組を評価し直した結果です。何も保存されず、ルールファイルも変わりません。'),
    h('form', { class: 'rules-form', onsubmit: (e) => e.preventDefault() },
      h('label', { for: 'rules-threshold' }, '基準値'), select,
      h('label', { for: 'rules-value' }, '値'), number, slider, reset, timing),
    h('p', null, '試すときのオプション（', h('code', null, 'hyoka diff'), '、', h('code', null, 'hyoka evaluate --dry-run'), '）: ', setLine),
    h('p', null, 'ルールファイルの thresholds に書くとき: ', fileLine));
  const shown = show(token, [pageHeading('ルール調整', '基準値を変えると評価がどう変わるか'), form, result], 'ルール調整', 'rules');
  if (shown) await update();
  return shown;
}
