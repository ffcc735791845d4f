// view-list.js - 取組一覧: filters, sorting and paging kept in the URL, CSV of the same filters;
// a filter change redraws only the results, so focus stays where the user is.

import { h } from './dom.js';
import { apiGet, apiUrl } from './api.js';
import { formatCount, formatScore } from './format.js';
import {
  state, link, cached, listOf, summaryOf, surveyName, compareCodes, categoryBadge, flagBadge, tableWrap,
  pageHeading, setStatus, show, updateChrome, errorPanel, rerender,
} from './core.js';

/** Page sizes offered in 取組一覧 (the API allows 1–500). */
const LIST_LIMITS = [25, 50, 100, 200];
const DEFAULT_LIMIT = 50;
const SORTS = [['code', 'コード順'], ['score', 'スコアの低い順'], ['-score', 'スコアの高い順'], ['title', '取組名順']];
const LIST_FILTERS = ['category', 'reason', 'flag', 'department', 'measure', 'q'];


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

async function filterForm(survey, catalog, p) {
  const [depts, measures] = await Promise.all([
    cached('departments', { survey }).then((b) => listOf(b, 'departments')).catch(() => null),
    cached('measures', { survey }).then((b) => listOf(b, 'measures')).catch(() => null),
  ]);
  const any = ['', 'すべて'];
  const form = h('form', { class: 'filters', id: 'list-form', role: 'search', 'aria-label': '取組の絞り込み' },
    h('div', { class: 'filters__row' },
      h('div', { class: 'field field--grow' },
        h('label', { for: 'f-q' }, 'キーワード（取組名・コード）'),
        h('input', { id: 'f-q', name: 'q', type: 'search', value: p.q || '', maxlength: '200', autocomplete: 'off' })),
      select('f-category', '評価区分', 'category', [any, ...(catalog.categories || []).map((c) => [c.id, c.label])], p.category),
      select('f-reason', '理由', 'reason', [any, ...(catalog.reasons || []).map((r) => [r.id, r.label])], p.reason),
      select('f-flag', 'フラグ', 'flag', [any, ...(catalog.flags || []).map((f) => [f.id, f.label])], p.flag)),
    h('div', { class: 'filters__row' },
      depts
        ? select('f-department', '所管課', 'department', [any, ...depts.map((d) => d.name ?? d.department ?? d.label)
          .filter(Boolean).map((d) => [d, d])], p.department)
        : h('div', { class: 'field' }, h('label', { for: 'f-department' }, '所管課'),
          h('input', { id: 'f-department', name: 'department', type: 'text', value: p.department || '' })),
      measures
        ? select('f-measure', '施策', 'measure', [any, ...[...measures].sort((a, b) => compareCodes(a.code, b.code))
          .map((m) => [m.code, `${m.code} ${m.title || ''}`])], p.measure)
        : h('div', { class: 'field' }, h('label', { for: 'f-measure' }, '施策（コード）'),
          h('input', { id: 'f-measure', name: 'measure', type: 'text', value: p.measure || '' })),
      select('f-sort', '並び順', 'sort', SORTS, p.sort || 'code'),
      select('f-limit', '表示件数', 'limit', LIST_LIMITS.map((n) => [String(n), `${n}件`]), p.limit || String(DEFAULT_LIMIT))),
    h('div', { class: 'filters__actions' },
      h('button', { type: 'submit', class: 'button button--primary' }, '絞り込む'),
      h('a', { class: 'button', href: link('list', { survey }), id: 'clear-filters' }, '条件をクリア')));
  const apply = () => {
    const fd = new FormData(form);
    const next = { survey };
    for (const [k, v] of fd.entries()) {
      const t = String(v).trim();
      if (t !== '' && !(k === 'sort' && t === 'code') && !(k === 'limit' && t === String(DEFAULT_LIMIT))) next[k] = t;
    }
    location.hash = link('list', next);
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  form.addEventListener('change', (ev) => { if (ev.target.tagName === 'SELECT') apply(); });
  return form;
}

function syncFilterForm(form, p) {
  for (const el of form.elements) {
    if (!el.name) continue;
    let v = p[el.name] ?? '';
    if (el.name === 'sort' && !v) v = 'code';
    if (el.name === 'limit' && !v) v = String(DEFAULT_LIMIT);
    if (el.tagName === 'SELECT' && v && ![...el.options].some((o) => o.value === v)) {
      el.append(h('option', { value: v }, `${v}（一覧にない値）`));
    }
    if (el.value !== v) el.value = v;
  }
}

function listTable(items, catalog, survey) {
  return h('table', { class: 'data data--list data--reflow' },
    h('caption', { class: 'visually-hidden' }, '取組一覧'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'コード'), h('th', { scope: 'col' }, '取組名'), h('th', { scope: 'col' }, '所管課'),
      h('th', { scope: 'col' }, '評価区分'), h('th', { scope: 'col', class: 'num' }, 'スコア'),
      h('th', { scope: 'col' }, '理由・フラグ'))),
    h('tbody', null, items.map((it) => h('tr', { 'data-code': it.code },
      h('td', { 'data-label': 'コード', class: 'code' }, it.code),
      h('th', { scope: 'row', 'data-label': '取組名' },
        h('a', { href: link('initiative', { survey }, it.code), class: 'item-link' }, it.title || it.code),
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

function pager(survey, p, total, limit, offset) {
  if (total <= limit) return null;
  const pages = Math.ceil(total / limit);
  const cur = Math.floor(offset / limit) + 1;
  const to = (n) => link('list', { ...p, survey, offset: (n - 1) * limit || '' });
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
  if (p.reason) parts.push(`理由「${name(catalog.reasons, p.reason)}」（主な理由でない取組も含む）`);
  if (p.flag) parts.push(`フラグ「${name(catalog.flags, p.flag)}」`);
  if (p.department) parts.push(`所管課「${p.department}」`);
  if (p.measure) parts.push(`施策「${p.measure}」`);
  if (p.q) parts.push(`キーワード「${p.q}」`);
  return parts.join('、');
}

export async function listView(route, survey, token) {
  const catalog = await summaryOf(survey);
  updateChrome(survey, catalog);
  const p = listParams(route);
  const limit = Number(p.limit || DEFAULT_LIMIT);
  const offset = Number(p.offset || 0);

  let form = document.getElementById('list-form');
  const inPlace = state.view === 'list' && form && form.dataset.survey === survey;
  if (!inPlace) {
    form = await filterForm(survey, catalog, p);
    form.dataset.survey = survey;
    const results = h('div', { id: 'list-results', class: 'list-results' });
    if (!show(token, [
      pageHeading('取組一覧', `${surveyName(catalog.survey)}の評価結果。条件を選ぶとすぐに一覧が変わります（キーワードは Enter または「絞り込む」で検索）。`),
      form, results], '取組一覧', 'list')) return false;
  } else {
    syncFilterForm(form, p);
  }
  const results = document.getElementById('list-results');
  results.setAttribute('aria-busy', 'true');
  let page;
  try {
    page = await apiGet('initiatives', { survey, ...p });
  } catch (e) {
    if (token !== state.token) return false;
    results.removeAttribute('aria-busy');
    results.replaceChildren(errorPanel(e, rerender, { inline: true, backHref: link('list', { survey }), backText: '条件をクリア' }));
    setStatus(e.detail || e.title || 'エラーが発生しました');
    return true;
  }
  if (token !== state.token) return false;
  const items = page.items || [];
  const total = page.total ?? items.length;
  const csvParams = { survey, ...p, format: 'csv' };
  delete csvParams.limit;
  delete csvParams.offset;
  const filt = activeFilterText(p, catalog);
  const pastEnd = total > 0 && items.length === 0; // an offset from an old link, beyond the list
  const countText = total === 0 ? '該当する取組はありません'
    : pastEnd ? `${formatCount(total)}件中、${formatCount(offset + 1)}件目以降はありません`
      : `${formatCount(total)}件中 ${formatCount(offset + 1)}〜${formatCount(offset + items.length)}件を表示`;
  results.replaceChildren(
    h('div', { class: 'list-head' },
      h('p', { class: 'list-head__count', id: 'list-count' }, filt ? `${filt}: ` : '', countText),
      h('a', { class: 'button button--small', href: apiUrl('initiatives', csvParams), download: `取組一覧_${survey}.csv`, id: 'csv-link' },
        h('span', { 'aria-hidden': 'true' }, '⤓ '), `CSVでダウンロード（${formatCount(total)}件）`)),
    pastEnd
      ? h('div', { class: 'empty' }, h('p', { class: 'empty__title' }, 'このページには取組がありません'),
        h('p', null, h('a', { href: link('list', { ...p, survey, offset: '' }) }, '最初のページへ')))
      : total === 0
        ? h('div', { class: 'empty' }, h('p', { class: 'empty__title' }, '該当する取組はありません'),
          h('p', null, '条件を変えるか、', h('a', { href: link('list', { survey }) }, '条件をクリア'), 'してください。'))
      : tableWrap('取組一覧', listTable(items, catalog, survey)),
    pager(survey, p, total, limit, offset) || '');
  results.removeAttribute('aria-busy');
  setStatus(countText);
  return true;
}
