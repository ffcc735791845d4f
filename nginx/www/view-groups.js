// view-groups.js - 所管課別 / 施策別: counts by category and mean score per department or measure,
// sortable by column; each row leads to the filtered 取組一覧. 所管課別 in the organisation's order
// shows each 部 as a group header row with the totals the API gives for it (/departments'
// divisions: an initiative counts once in its 部); sorted by a column it ranks the 課 across 部.

import { h } from './dom.js';
import { formatCount, formatScore } from './format.js';
import { categoryTone, TONE_ICON, stackBar } from './charts.js';
import { link, cached, listOf, summaryOf, tableWrap, pageHeading, show, updateChrome, scopeOf } from './core.js';


/** countOf(row, id): a row's count for a category, as /departments and /measures give it
 *  (counts: {id: n}, every category of the run's rules). */
function countOf(row, id) {
  const n = (row.counts || {})[id];
  return typeof n === 'number' ? n : null;
}

/** meanOf(row): the row's mean score as the API rounded it (null: no scored initiative). */
function meanOf(row) {
  return typeof row.mean_score === 'number' ? row.mean_score : null;
}

/** Column orders of 所管課別 / 施策別 (the URL's ?order=): counts descending, mean score ascending
 *  (weakest first), so the rows that need attention come first; ties, and ?order=name, keep the
 *  API's order (the read model's: measures by code, departments in the organisation's order: 部,
 *  then the imported position, 五十音 or name), never one of the page's. */
function groupComparator(order, apiIndex) {
  const byName = (a, b) => apiIndex.get(a) - apiIndex.get(b);
  if (order === 'total') return (a, b) => (b.total ?? 0) - (a.total ?? 0) || byName(a, b);
  if (order === 'score') {
    return (a, b) => {
      const x = meanOf(a), y = meanOf(b);
      if (x === null || y === null) return (x === null) - (y === null) || byName(a, b);
      return x - y || byName(a, b);
    };
  }
  if (order && order.startsWith('cat:')) {
    const id = order.slice(4);
    return (a, b) => (countOf(b, id) ?? -1) - (countOf(a, id) ?? -1) || byName(a, b);
  }
  return null; // the API's order
}

/** divisionGroups(rows, divisions): the departments under their 部, both in the API's order:
 *  [{division, rows}]. Without any named 部 (no departments.csv imported) one group without a
 *  header. A department whose 部 the list lacks (an older server) keeps its place in a group
 *  without a header at the end. */
function divisionGroups(rows, divisions) {
  const list = Array.isArray(divisions) ? divisions : [];
  if (!list.some((d) => d && d.name)) return [{ division: null, rows }];
  const key = (name) => (name == null ? '' : `=${name}`);
  const groups = list.map((d) => ({ division: d, rows: [] }));
  const byName = new Map(groups.map((g) => [key(g.division.name), g]));
  const rest = { division: null, rows: [] };
  for (const r of rows) (byName.get(key(r.division ? r.division.name : null)) || rest).rows.push(r);
  return [...groups.filter((g) => g.rows.length > 0), ...(rest.rows.length ? [rest] : [])];
}

/** The header row of one 部: its name (部の指定なし for the departments without one), how many
 *  課 it has here, and its totals and mean score as the API counts them. */
function divisionRow(d, cats) {
  const parts = cats.map((c, i) => ({ label: c.label, count: countOf(d, c.id), tone: categoryTone(i, cats.length) }));
  const n = Array.isArray(d.departments) ? d.departments.length : null;
  return h('tr', { class: 'division-row' },
    h('th', { scope: 'rowgroup' }, d.name || '部の指定なし',
      n !== null ? h('span', { class: 'division-row__count' }, `（${formatCount(n)}課）`) : null),
    h('td', { class: 'num' }, formatCount(d.total)),
    parts.map((p) => h('td', { class: 'num' }, formatCount(p.count))),
    h('td', { class: 'num' }, formatScore(meanOf(d))),
    h('td', { class: 'col-bar' }, stackBar(parts)));
}

export async function groupView(kind, survey, token, route) {
  const scope = scopeOf(route, survey);
  const [catalog, body] = await Promise.all([summaryOf(scope), cached(kind, scope)]);
  updateChrome(scope, catalog);
  const rows = listOf(body, kind);
  const cats = catalog.categories || [];
  const isDept = kind === 'departments';
  const nameOf = (r) => (isDept ? (r.name ?? r.department ?? r.label ?? '') : (r.code ?? ''));
  const order = route.params.get('order') || 'name';
  const cmp = groupComparator(order, new Map(rows.map((r, i) => [r, i])));
  const sorted = cmp ? [...rows].sort(cmp) : [...rows];
  const groups = isDept && !cmp ? divisionGroups(sorted, body.divisions) : [{ division: null, rows: sorted }];
  const grouped = groups.some((g) => g.division);
  const title = isDept ? '所管課別の状況' : '施策別の状況';
  const sortHead = (key, label, cls, hint) => h('th', { scope: 'col', class: cls, 'aria-sort': order === key ? (key === 'score' ? 'ascending' : key === 'name' ? 'ascending' : 'descending') : null },
    h('a', { href: link(kind, { ...scope, order: key === 'name' ? '' : key }), class: 'sort-link', 'data-order': key, title: hint },
      order === key ? h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, key === 'score' || key === 'name' ? '▲ ' : '▼ ') : null, label));
  const table = h('table', { class: 'data data--groups' },
    h('caption', { class: 'visually-hidden' }, `${title}（列の見出しを選ぶと並べ替えます）`),
    h('thead', null, h('tr', null,
      sortHead('name', isDept ? '所管課' : '施策', '', isDept ? '組織の順（部ごと）に並べ替え' : '番号順に並べ替え'),
      sortHead('total', '取組数', 'num nowrap', '取組数の多い順に並べ替え'),
      cats.map((c, i) => sortHead(`cat:${c.id}`, [h('span', { 'aria-hidden': 'true', class: `cat-head--${categoryTone(i, cats.length)}` }, `${TONE_ICON[categoryTone(i, cats.length)]} `), c.label],
        'num cat-col', `「${c.label}」の多い順に並べ替え`)),
      sortHead('score', '平均スコア', 'num nowrap', '平均スコアの低い順に並べ替え'),
      h('th', { scope: 'col', class: 'col-bar' }, '内訳'))),
    groups.map((g) => h('tbody', { class: g.division ? 'division' : null },
      g.division ? divisionRow(g.division, cats) : null,
      g.rows.map((r) => {
        const key = nameOf(r);
        const params = isDept ? { ...scope, department: key } : { ...scope, measure: key };
        const parts = cats.map((c, i) => ({ label: c.label, count: countOf(r, c.id), tone: categoryTone(i, cats.length) }));
        const total = r.total;
        return h('tr', null,
          h('th', { scope: 'row' }, h('a', { href: link('list', params) },
            isDept ? key : [h('span', { class: 'code' }, key), ' ', r.title || ''])),
          h('td', { class: 'num' }, formatCount(total)),
          parts.map((p) => h('td', { class: `num${p.count && p.tone !== 'good' ? ` count--${p.tone}` : ''}` }, formatCount(p.count))),
          h('td', { class: 'num' }, formatScore(meanOf(r))),
          h('td', { class: 'col-bar' }, stackBar(parts)));
      }))));
  const hadFocus = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.order : null;
  const shown = show(token, [
    pageHeading(title, isDept
      ? (grouped
        ? '部ごとに組織の順で表示します。所管課を選ぶと、その課の取組一覧を表示します。複数の課が所管する取組は、それぞれの課に数え、部の行では1件と数えています。列の見出しで並べ替えると、部をまたいで課を並べます。'
        : '所管課を選ぶと、その課の取組一覧を表示します。複数の課が所管する取組は、それぞれの課に数えています。列の見出しで並べ替えできます。')
      : '施策を選ぶと、その施策の取組一覧を表示します。列の見出しで並べ替えできます。'),
    rows.length === 0 ? h('p', { class: 'notice' }, '該当する取組はありません') : tableWrap(title, table),
  ], title, kind);
  // re-sorting redraws the table: keep the keyboard user on the header they chose
  if (shown && hadFocus) {
    const el = document.querySelector(`[data-order="${CSS.escape(hadFocus)}"]`);
    if (el) el.focus();
  }
  return shown;
}
