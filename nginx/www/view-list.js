// view-list.js - 取組一覧: filters, sorting and paging kept in the URL, CSV of the same filters;
// a filter change redraws only the results, so focus stays where the user is.
//
// Two reason filters: primary_reason=ID (主な理由: the initiatives 概要 counts for the reason) and
// reason=ID (該当する理由: any of an initiative's reasons). The list says which one it shows and
// links to the other with the API's count of it.

import { h } from './dom.js';
import { apiGet, apiUrl } from './api.js';
import { formatCount, formatScore } from './format.js';
import {
  state, link, cached, listOf, summaryOf, surveyName, categoryBadge, flagBadge, tableWrap,
  pageHeading, setStatus, show, updateChrome, errorPanel, rerender, scopeOf,
} from './core.js';

/** Page sizes offered in 取組一覧 (the API allows 1–500). */
const LIST_LIMITS = [25, 50, 100, 200];
const DEFAULT_LIMIT = 50;
const SORTS = [['code', 'コード順'], ['score', 'スコアの低い順'], ['-score', 'スコアの高い順'], ['title', '取組名順']];
const LIST_FILTERS = ['category', 'primary_reason', 'reason', 'flag', 'department', 'measure', 'q'];
/** The form's 理由の範囲: which of the two reason filters its 理由 sets. */
const REASON_SCOPES = [['primary', '主な理由'], ['any', '該当する理由']];


function listParams(route) {
  const p = {};
  for (const k of [...LIST_FILTERS, 'sort', 'limit', 'offset']) {
    const v = route.params.get(k);
    if (v !== null && v !== '') p[k] = v;
  }
  return p;
}

function select(id, label, name, options, value) {
  // a value from a shared URL that is not (or no longer) offered stays visible and selected
  if (value && !options.some(([v]) => v === value)) options = [...options, [value, `${value}（一覧にない値）`]];
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name }, options.map(([v, text]) => h('option', { value: v, selected: v === (value || '') }, text))));
}

/** The form's value of each control for the URL's filters: 理由 shows the primary or the any-reason
 *  filter, 理由の範囲 which of the two it is. */
function formValues(p) {
  return {
    ...p,
    reason: p.primary_reason || p.reason || '',
    reason_scope: p.primary_reason || !p.reason ? 'primary' : 'any',
    sort: p.sort || 'code',
    limit: p.limit || String(DEFAULT_LIMIT),
  };
}

async function filterForm(scope, catalog, p) {
  const [depts, measures] = await Promise.all([
    cached('departments', scope).then((b) => listOf(b, 'departments')).catch(() => null),
    cached('measures', scope).then((b) => listOf(b, 'measures')).catch(() => null),
  ]);
  const v = formValues(p);
  const any = ['', 'すべて'];
  const form = h('form', { class: 'filters', id: 'list-form', role: 'search', 'aria-label': '取組の絞り込み' },
    h('div', { class: 'filters__row' },
      h('div', { class: 'field field--grow' },
        h('label', { for: 'f-q' }, 'キーワード（取組名・コード）'),
        h('input', { id: 'f-q', name: 'q', type: 'search', value: p.q || '', maxlength: '200', autocomplete: 'off' })),
      select('f-category', '評価区分', 'category', [any, ...(catalog.categories || []).map((c) => [c.id, c.label])], p.category),
      select('f-reason', '理由', 'reason', [any, ...(catalog.reasons || []).map((r) => [r.id, r.label])], v.reason),
      select('f-reason-scope', '理由の範囲', 'reason_scope', REASON_SCOPES, v.reason_scope),
      select('f-flag', 'フラグ', 'flag', [any, ...(catalog.flags || []).map((f) => [f.id, f.label])], p.flag)),
    h('div', { class: 'filters__row' },
      depts
        ? select('f-department', '所管課', 'department', [any, ...depts.map((d) => d.name ?? d.department ?? d.label)
          .filter(Boolean).map((d) => [d, d])], p.department)
        : h('div', { class: 'field' }, h('label', { for: 'f-department' }, '所管課'),
          h('input', { id: 'f-department', name: 'department', type: 'text', value: p.department || '' })),
      measures
        ? select('f-measure', '施策', 'measure', [any, ...measures.map((m) => [m.code, `${m.code} ${m.title || ''}`])], p.measure)
        : h('div', { class: 'field' }, h('label', { for: 'f-measure' }, '施策（コード）'),
          h('input', { id: 'f-measure', name: 'measure', type: 'text', value: p.measure || '' })),
      select('f-sort', '並び順', 'sort', SORTS, p.sort || 'code'),
      select('f-limit', '表示件数', 'limit', LIST_LIMITS.map((n) => [String(n), `${n}件`]), p.limit || String(DEFAULT_LIMIT))),
    h('div', { class: 'filters__actions' },
      h('button', { type: 'submit', class: 'button button--primary' }, '絞り込む'),
      h('a', { class: 'button', href: link('list', scope), id: 'clear-filters' }, '条件をクリア')));
  const apply = () => {
    const fd = new FormData(form);
    const next = { ...scope };
    let reasonScope = 'primary';
    for (const [k, val] of fd.entries()) {
      const t = String(val).trim();
      if (k === 'reason_scope') reasonScope = t;
      else if (t !== '' && !(k === 'sort' && t === 'code') && !(k === 'limit' && t === String(DEFAULT_LIMIT))) next[k] = t;
    }
    // 理由 filters by the primary reason (as 概要 counts) unless 理由の範囲 says 該当する理由
    if (next.reason && reasonScope === 'primary') {
      next.primary_reason = next.reason;
      delete next.reason;
    }
    location.hash = link('list', next);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', (ev) => { if (ev.target.tagName === 'SELECT') apply(); });
  return form;
}

function syncFilterForm(form, p) {
  const values = formValues(p);
  for (const el of form.elements) {
    if (!el.name) continue;
    const v = values[el.name] ?? '';
    if (el.tagName === 'SELECT' && v && ![...el.options].some((o) => o.value === v)) {
      el.append(h('option', { value: v }, `${v}（一覧にない値）`));
    }
    if (el.value !== v) el.value = v;
  }
}

function listTable(items, catalog, scope) {
  return h('table', { class: 'data data--list data--reflow' },
    h('caption', { class: 'visually-hidden' }, '取組一覧'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'コード'), h('th', { scope: 'col' }, '取組名'), h('th', { scope: 'col' }, '所管課'),
      h('th', { scope: 'col' }, '評価区分'), h('th', { scope: 'col', class: 'num' }, 'スコア'),
      h('th', { scope: 'col' }, '理由・フラグ'))),
    h('tbody', null, items.map((it) => h('tr', { 'data-code': it.code },
      h('td', { 'data-label': 'コード', class: 'code' }, it.code),
      h('th', { scope: 'row', 'data-label': '取組名' },
        h('a', { href: link('initiative', scope, it.code), class: 'item-link' }, it.title || it.code),
        it.measure ? h('span', { class: 'item-measure' }, `施策 ${it.measure.code} ${it.measure.title || ''}`) : null),
      h('td', { 'data-label': '所管課' }, (it.departments || []).join('、')),
      h('td', { 'data-label': '評価区分' }, categoryBadge(it.category, catalog)),
      h('td', { 'data-label': 'スコア', class: 'num' }, formatScore(it.score)),
      h('td', { 'data-label': '理由・フラグ' },
        (it.reasons || []).length || (it.flags || []).length
          ? h('ul', { class: 'chips' },
            (it.reasons || []).map((r, i) => h('li', { class: `chip${i === 0 ? ' chip--primary' : ''}`, title: i === 0 ? '主な理由' : null },
              r.label || r.id, i === 0 ? h('span', { class: 'visually-hidden' }, '（主な理由）') : null)),
            (it.flags || []).map((f) => h('li', null, flagBadge(f))))
          : h('span', { class: 'muted' }, 'なし'))))));
}

function pager(scope, p, total, limit, offset) {
  if (total <= limit) return null;
  const pages = Math.ceil(total / limit);
  const cur = Math.floor(offset / limit) + 1;
  const to = (n) => link('list', { ...scope, ...p, offset: (n - 1) * limit || '' });
  const items = [];
  items.push(h('li', null, cur > 1
    ? h('a', { href: to(cur - 1), rel: 'prev' }, '‹ 前へ')
    : h('span', { class: 'pager__disabled', 'aria-disabled': 'true' }, '‹ 前へ')));
  for (let n = 1; n <= pages; n++) {
    if (pages > 9 && n !== 1 && n !== pages && Math.abs(n - cur) > 2) {
      if (n === 2 || n === pages - 1) items.push(h('li', { class: 'pager__gap', 'aria-hidden': 'true' }, '…'));
      continue;
    }
    items.push(h('li', null, n === cur
      ? h('a', { href: to(n), 'aria-current': 'page', 'aria-label': `${n}ページ目（表示中）` }, String(n))
      : h('a', { href: to(n), 'aria-label': `${n}ページ目` }, String(n))));
  }
  items.push(h('li', null, cur < pages
    ? h('a', { href: to(cur + 1), rel: 'next' }, '次へ ›')
    : h('span', { class: 'pager__disabled', 'aria-disabled': 'true' }, '次へ ›')));
  return h('nav', { class: 'pager', 'aria-label': 'ページ' }, h('ul', null, items));
}

function activeFilterText(p, catalog) {
  const name = (list, id) => ((list || []).find((x) => x.id === id) || {}).label || id;
  const parts = [];
  if (p.category) parts.push(`評価区分「${name(catalog.categories, p.category)}」`);
  if (p.primary_reason) parts.push(`主な理由「${name(catalog.reasons, p.primary_reason)}」`);
  if (p.reason) parts.push(`該当する理由「${name(catalog.reasons, p.reason)}」`);
  if (p.flag) parts.push(`フラグ「${name(catalog.flags, p.flag)}」`);
  if (p.department) parts.push(`所管課「${p.department}」`);
  if (p.measure) parts.push(`施策「${p.measure}」`);
  if (p.q) parts.push(`キーワード「${p.q}」`);
  return parts.join('、');
}

/** The other reason filter of a list that has exactly one: {param, id, label} of the filter shown
 *  and of the other one, or null (no reason filter, or both at once). */
function reasonFilters(p, catalog) {
  if (!!p.primary_reason === !!p.reason) return null;
  const id = p.primary_reason || p.reason;
  const label = ((catalog.reasons || []).find((x) => x.id === id) || {}).label || id;
  return p.primary_reason ? { shown: 'primary_reason', other: 'reason', id, label } : { shown: 'reason', other: 'primary_reason', id, label };
}

/** The note under the count that says which reason filter the list shows and links to the other,
 *  with the API's total of the other (null when it could not be fetched). */
function reasonSwitch(rf, scope, p, otherTotal) {
  const next = { ...scope, ...p, offset: '' };
  delete next[rf.shown];
  next[rf.other] = rf.id;
  const count = typeof otherTotal === 'number' ? `（${formatCount(otherTotal)}件）` : '';
  return h('p', { class: 'reason-switch', id: 'reason-switch' },
    rf.shown === 'primary_reason'
      ? `「${rf.label}」を主な理由（その取組で最初に該当した理由）とする取組です。概要の件数と同じ数え方です。`
      : `「${rf.label}」に該当する取組をすべて表示しています。ほかの理由が主な理由である取組も含むため、概要の件数より多いことがあります。`,
    ' ',
    h('a', { href: link('list', next), id: 'other-reason-link' },
      rf.shown === 'primary_reason' ? `この理由に該当する取組をすべて表示${count}` : `この理由が主な理由の取組だけを表示${count}`));
}

export async function listView(route, survey, token) {
  const scope = scopeOf(route, survey);
  const catalog = await summaryOf(scope);
  updateChrome(scope, catalog);
  const p = listParams(route);
  const limit = Number(p.limit || DEFAULT_LIMIT);
  const offset = Number(p.offset || 0);

  let form = document.getElementById('list-form');
  const scopeKey = JSON.stringify(scope);
  const inPlace = state.view === 'list' && form && form.dataset.scope === scopeKey;
  if (!inPlace) {
    form = await filterForm(scope, catalog, p);
    form.dataset.scope = scopeKey;
    const results = h('div', { id: 'list-results', class: 'list-results' });
    if (!show(token, [
      pageHeading('取組一覧', `${surveyName(catalog.survey)}の評価結果。条件を選ぶとすぐに一覧が変わります（キーワードは Enter または「絞り込む」で検索）。`),
      form, results], '取組一覧', 'list')) return false;
  } else {
    syncFilterForm(form, p);
  }
  const results = document.getElementById('list-results');
  results.setAttribute('aria-busy', 'true');
  const rf = reasonFilters(p, catalog);
  let page, otherTotal = null;
  try {
    const other = rf ? { ...scope, ...p, limit: 1, offset: '', [rf.shown]: '', [rf.other]: rf.id } : null;
    [page, otherTotal] = await Promise.all([apiGet('initiatives', { ...scope, ...p }),
      other ? apiGet('initiatives', other).then((b) => b.total, () => null) : null]);
  } catch (e) {
    if (token !== state.token) return false;
    results.removeAttribute('aria-busy');
    results.replaceChildren(errorPanel(e, rerender, { inline: true, backHref: link('list', scope), backText: '条件をクリア' }));
    setStatus(e.detail || e.title || 'エラーが発生しました');
    return true;
  }
  if (token !== state.token) return false;
  const items = page.items || [];
  const total = page.total;
  const csvParams = { ...scope, ...p, format: 'csv' };
  delete csvParams.limit;
  delete csvParams.offset;
  const filt = activeFilterText(p, catalog);
  const pastEnd = total > 0 && items.length === 0; // an offset from an old link, beyond the list
  const countText = total === 0 ? '該当する取組はありません'
    : pastEnd ? `${formatCount(total)}件中、${formatCount(offset + 1)}件目以降はありません`
      : `${formatCount(total)}件中 ${formatCount(offset + 1)}〜${formatCount(offset + items.length)}件を表示`;
  const fileName = `取組一覧_${survey}${scope.run ? `_評価${scope.run}` : ''}.csv`;
  results.replaceChildren(
    h('div', { class: 'list-head' },
      h('p', { class: 'list-head__count', id: 'list-count' }, filt ? `${filt}: ` : '', countText),
      h('a', { class: 'button button--small', href: apiUrl('initiatives', csvParams), download: fileName, id: 'csv-link' },
        h('span', { 'aria-hidden': 'true' }, '⤓ '), `CSVでダウンロード（${formatCount(total)}件）`)),
    rf ? reasonSwitch(rf, scope, p, otherTotal) : null,
    pastEnd
      ? h('div', { class: 'empty' }, h('p', { class: 'empty__title' }, 'このページには取組がありません'),
        h('p', null, h('a', { href: link('list', { ...scope, ...p, offset: '' }) }, '最初のページへ')))
      : total === 0
        ? h('div', { class: 'empty' }, h('p', { class: 'empty__title' }, '該当する取組はありません'),
          h('p', null, '条件を変えるか、', h('a', { href: link('list', scope) }, '条件をクリア'), 'してください。'))
      : tableWrap('取組一覧', listTable(items, catalog, scope)),
    pager(scope, p, total, limit, offset) || '');
  results.removeAttribute('aria-busy');
  setStatus(filt ? `${filt}: ${countText}` : countText);
  return true;
}
