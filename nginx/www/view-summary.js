// view-summary.js - 概要: the survey's result as the seed report shows it (categories with a chart
// and the change since the previous survey, reasons with responses, flags, projects), and the
// survey's stored runs (評価履歴), each of which can be shown instead of the newest.
//
// Managers read 評価日時 and the rules' version; the run's number and the rule set's SHA-256 are
// for planners and stand inside <details> (技術情報). A flag is not a category: the flags table
// says so, and where a flag and a category have like names (遅延 / 遅延はしているが順調) it shows
// how the flag's initiatives fall into the categories, with counts the API gives.

import { h } from './dom.js';
import { apiUrl } from './api.js';
import { warekiDate, warekiDateTime, asOfLabel, formatCount, formatPercent } from './format.js';
import { categoryTone, TONE_ICON, donutChart } from './charts.js';
import {
  state, link, cached, listOf, summaryOf, surveyByCode, surveyName, categoryBadge, severityBadge,
  tableWrap, pageHeading, show, updateChrome, scopeOf,
} from './core.js';

const REASON_MARKS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** How many runs 評価履歴 lists (newest first). */
const RUNS_SHOWN = 10;
const STARTED_BY = { cli: 'コマンド（hyoka evaluate）', api: 'API（POST /evaluations）' };

/** 評価履歴: the survey's stored runs, newest first, each a link to 概要 of that run; the run shown
 *  is marked. body is /runs's answer, or null when it could not be fetched. */
function runsSection(survey, body, shownId) {
  const head = h('h2', { id: 'runs-h' }, '評価履歴');
  if (body === null) {
    return h('section', { class: 'panel', 'aria-labelledby': 'runs-h' }, head,
      h('p', { class: 'muted' }, '評価履歴を取得できませんでした（/api/v1/runs）。'));
  }
  const runs = listOf(body, 'runs');
  if (!runs.length) return null;
  const total = body.total ?? runs.length;
  return h('section', { class: 'panel', 'aria-labelledby': 'runs-h' }, head,
    h('p', { class: 'panel__note' }, total > runs.length
      ? `この調査の評価は全${formatCount(total)}回です。新しい${formatCount(runs.length)}回を表示しています。評価番号を選ぶと、その時点の評価結果を表示します。`
      : `この調査の評価は全${formatCount(total)}回です。評価番号を選ぶと、その時点の評価結果を表示します。`),
    tableWrap('評価履歴', h('table', { class: 'data data--runs' },
      h('caption', { class: 'visually-hidden' }, '評価履歴（新しい順）'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, '評価番号'), h('th', { scope: 'col' }, '評価日時'), h('th', { scope: 'col' }, '評価ルール'),
        h('th', { scope: 'col', class: 'num' }, '対象取組数'), h('th', { scope: 'col' }, '実行方法'))),
      h('tbody', null, runs.map((r) => {
        const current = String(r.id) === String(shownId);
        const rules = r.rules || {};
        // the newest run is the survey's default view: its link carries no run=
        const href = link('summary', r.newest ? { survey } : { survey, run: r.id });
        return h('tr', { 'data-run': String(r.id), class: current ? 'is-current' : null },
          h('th', { scope: 'row' },
            current
              ? h('span', { 'aria-current': 'true' }, `評価番号 ${r.id}`, h('span', { class: 'tag tag--current' }, '表示中'))
              : h('a', { href }, `評価番号 ${r.id}`),
            r.newest ? h('span', { class: 'tag' }, '最新') : null),
          h('td', null, warekiDateTime(r.evaluated_at)),
          h('td', null, `版 ${rules.version ?? '—'}`, shaDetails(rules.sha256)),
          h('td', { class: 'num' }, formatCount(r.total)),
          h('td', null, STARTED_BY[r.started_by] || '—'));
      })))));
}


/** The rule set's SHA-256 for planners, folded (managers read the version). */
function shaDetails(sha256) {
  if (!sha256) return null;
  return h('details', { class: 'sha-details' }, h('summary', null, '識別値'),
    h('code', { class: 'sha' }, `SHA-256 ${sha256}`));
}

/** likeNames(flag, category) → whether a flag's and a category's labels could be taken for one
 *  another (one contains the other: 遅延 / 遅延はしているが順調). */
function likeNames(a, b) {
  return Boolean(a && b) && (a.includes(b) || b.includes(a));
}

/** flagBreakdowns(scope, flags, cats) → for each flag with a count whose label is like a
 *  category's, [{flag, counts: [{category, count}]}]: how many of the flag's initiatives are in each
 *  category, each the total of /initiatives?flag=F&category=C (the API counts, the page does not).
 *  null when the API cannot say. */
async function flagBreakdowns(scope, flags, cats) {
  const wanted = flags.filter((f) => f.count > 0 && cats.some((c) => likeNames(f.label, c.label)));
  try {
    return await Promise.all(wanted.map(async (f) => ({
      flag: f,
      counts: await Promise.all(cats.map(async (c) => ({
        category: c,
        count: (await cached('initiatives', { ...scope, flag: f.id, category: c.id, limit: 1 })).total,
      }))),
    })));
  } catch {
    return null;
  }
}

/** The note under 注意フラグ: what a flag is against a category, and for flags named like a
 *  category, where their initiatives are. */
function flagNote(breakdowns, cats, scope) {
  const general = h('p', { class: 'panel__note', id: 'flag-vs-category' },
    '注意フラグは評価区分とは別の目印です。評価区分は各取組に1つだけ付きます（ルールの上から順に、最初に条件に当てはまった区分）。'
    + '注意フラグは条件に当てはまる取組すべてに付き、どの評価区分の取組にも付くことがあり、1つの取組に複数付くこともあります。'
    + 'そのため、名前が似ていても件数は一致しません。');
  const lines = (breakdowns || []).map(({ flag, counts }) => {
    const like = cats.filter((c) => likeNames(flag.label, c.label));
    return h('li', { 'data-flag': flag.id },
      `注意フラグ「${flag.label}」${formatCount(flag.count)}件の評価区分の内訳：`,
      counts.map(({ category, count }, i) => [i ? '、' : '',
        h('a', { href: link('list', { ...scope, flag: flag.id, category: category.id }) }, `${category.label} ${formatCount(count)}件`)]),
      '。',
      like.map((c) => `評価区分「${c.label}」${formatCount(c.count)}件は、この注意フラグの件数とは別に数えています。`));
  });
  return [general, lines.length ? h('ul', { class: 'flag-breakdown' }, lines) : null];
}

/** The 官民連携 projects table of the seed report (section 4 (3)); an optional part of 概要. */
function projectSection(projects) {
  if (projects === null) {
    return h('section', { class: 'panel', 'aria-labelledby': 'proj-h' }, h('h2', { id: 'proj-h' }, '官民連携による地域課題解決検討プロジェクト'),
      h('p', { class: 'muted' }, 'プロジェクトの一覧を取得できませんでした（/api/v1/projects）。'));
  }
  if (!projects.length) return null;
  return h('section', { class: 'panel', 'aria-labelledby': 'proj-h' },
    h('h2', { id: 'proj-h' }, '官民連携による地域課題解決検討プロジェクト'),
    tableWrap('官民連携プロジェクト', h('table', { class: 'data' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, '取組状況'), h('th', { scope: 'col' }, '課題テーマ'),
        h('th', { scope: 'col' }, '所管課'))),
      h('tbody', null, projects.map((pr) => h('tr', null,
        h('td', null, pr.stage || '—'), h('th', { scope: 'row' }, pr.theme), h('td', null, pr.department || '—')))))));
}

/** The change of one category against the previous survey, as the API gives it
 *  (summary.previous), e.g. '前回（令和4年度末）75件・71.4%　+7件'. */
function deltaNote(c, previous) {
  if (!previous) return null;
  const before = (previous.categories || []).find((x) => x.id === c.id);
  if (!before || typeof before.change !== 'number') return null;
  const d = before.change;
  const sign = d > 0 ? `+${formatCount(d)}` : d < 0 ? `−${formatCount(-d)}` : '±0';
  return h('span', { class: 'cat-card__delta' },
    `前回（${surveyName(previous.survey)}）${formatCount(before.count)}件・${formatPercent(before.percent)}　`,
    h('strong', null, `${sign}件`));
}

export async function summaryView(route, survey, token) {
  const scope = scopeOf(route, survey);
  const [sum, projects, runs] = await Promise.all([summaryOf(scope),
    cached('projects').then((b) => listOf(b, 'projects')).catch(() => null),
    cached('runs', { survey, limit: RUNS_SHOWN }).catch(() => null)]);
  const sv = sum.survey || surveyByCode(survey) || { code: survey };
  const cats = sum.categories || [];
  const reasons = sum.reasons || [];
  const flags = sum.flags || [];
  const total = sum.total;
  const run = sum.run || {};
  const rules = run.rules || {};
  updateChrome(scope, sum);
  const breakdowns = await flagBreakdowns(scope, flags, cats);

  const cards = h('ol', { class: 'cat-cards', 'aria-label': '評価区分別の取組数' },
    cats.map((c, i) => {
      const tone = categoryTone(i, cats.length);
      return h('li', { class: `cat-card cat-card--${tone}` },
        h('a', { class: 'cat-card__link', href: link('list', { ...scope, category: c.id }) },
          h('span', { class: 'cat-card__head' },
            h('span', { class: 'cat-card__icon', 'aria-hidden': 'true' }, TONE_ICON[tone]),
            h('span', { class: 'cat-card__label' }, `(${i + 1}) ${c.label}`)),
          h('span', { class: 'cat-card__nums' },
            h('span', { class: 'cat-card__count' }, formatCount(c.count), h('span', { class: 'cat-card__unit' }, '件')),
            h('span', { class: 'cat-card__pct' }, formatPercent(c.percent))),
          deltaNote(c, sum.previous),
          h('span', { class: 'cat-card__more' }, '取組を見る')),
        c.response ? h('p', { class: 'cat-card__response' }, h('span', { class: 'tag' }, '対応'), c.response) : null);
    }));

  const resultTable = h('table', { class: 'data data--seed' },
    h('caption', { class: 'visually-hidden' }, '調査結果'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, '調査結果（評価区分）'), h('th', { scope: 'col', class: 'num' }, '取組数'), h('th', { scope: 'col', class: 'num' }, '割合'))),
    h('tbody', null, cats.map((c, i) => h('tr', null,
      h('th', { scope: 'row' }, h('a', { href: link('list', { ...scope, category: c.id }) },
        categoryBadge({ id: c.id, label: `(${i + 1}) ${c.label}` }, sum))),
      h('td', { class: 'num' }, formatCount(c.count)),
      h('td', { class: 'num' }, formatPercent(c.percent))))),
    h('tfoot', null, h('tr', null,
      h('th', { scope: 'row' }, '合計'), h('td', { class: 'num' }, formatCount(total)),
      h('td', { class: 'num' }, formatPercent(total > 0 ? 100 : 0)))));

  const reasonSection = h('section', { class: 'panel', 'aria-labelledby': 'reasons-h' },
    h('h2', { id: 'reasons-h' }, '課題がある取組とその対応'),
    reasons.length === 0
      ? h('p', { class: 'muted' }, 'この評価ルールには理由が定義されていません。')
      : [h('p', { class: 'panel__note' }, '取組数は主な理由（その取組で最初に該当した理由）で数えています。理由を選ぶと、その理由が主な理由である取組の一覧を表示します。'),
        tableWrap('課題・進捗していない理由', h('table', { class: 'data data--reasons data--reflow' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, '課題・進捗していない理由'), h('th', { scope: 'col', class: 'num' }, '取組数'),
            h('th', { scope: 'col' }, '対応策'))),
          h('tbody', null, reasons.map((r, i) => h('tr', null,
            h('th', { scope: 'row' }, h('a', { href: link('list', { ...scope, primary_reason: r.id }) },
              h('span', { class: 'mark' }, `(${REASON_MARKS[i] || i + 1})`), ' ', r.label)),
            h('td', { class: 'num', 'data-label': '取組数' }, formatCount(r.count)),
            h('td', { 'data-label': '対応策' }, r.response || h('span', { class: 'muted' }, '（対応策の定義なし）'))))),
          h('tfoot', null, h('tr', null, h('th', { scope: 'row' }, '合計'),
            h('td', { class: 'num' }, formatCount(sum.reasons_total)), h('td', { class: 'empty-cell' }))))) ]);

  const flagSection = h('section', { class: 'panel', 'aria-labelledby': 'flags-h' },
    h('h2', { id: 'flags-h' }, '注意フラグ'),
    flags.length === 0
      ? h('p', { class: 'muted' }, 'この評価ルールには注意フラグが定義されていません。')
      : [flagNote(breakdowns, cats, scope), tableWrap('注意フラグ', h('table', { class: 'data' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, '注意フラグ'), h('th', { scope: 'col' }, '重要度'),
          h('th', { scope: 'col', class: 'num' }, '取組数'))),
        h('tbody', null, flags.map((f) => h('tr', null,
          h('th', { scope: 'row' }, h('a', { href: link('list', { ...scope, flag: f.id }) }, f.label)),
          h('td', null, severityBadge(f.severity)),
          h('td', { class: 'num' }, formatCount(f.count)))))))]);

  const meta = h('div', { class: 'run-meta-wrap' },
    h('dl', { class: 'run-meta' },
      h('div', null, h('dt', null, '調査時点'), h('dd', null, `${warekiDate(sv.as_of)}（${asOfLabel(sv.as_of)}）`)),
      h('div', null, h('dt', null, '調査対象'), h('dd', null, `${formatCount(total)} 取組`)),
      h('div', null, h('dt', null, '評価日時'), h('dd', { id: 'run-evaluated-at' }, run.evaluated_at ? warekiDateTime(run.evaluated_at) : '—')),
      h('div', null, h('dt', null, '評価ルール'), h('dd', { id: 'run-rules-version' }, `版 ${rules.version ?? '—'}`))),
    h('details', { class: 'run-meta__tech', id: 'run-tech' }, h('summary', null, '技術情報（評価番号・ルールの識別値）'),
      h('dl', { class: 'run-meta' },
        h('div', null, h('dt', null, '評価番号'), h('dd', null, String(run.id ?? '—'))),
        h('div', null, h('dt', null, 'ルールの識別値'), h('dd', null, h('code', { class: 'sha' }, `SHA-256 ${rules.sha256 || '—'}`))))));

  const actions = h('p', { class: 'page-actions' },
    h('a', { class: 'button button--small', href: apiUrl('report', { ...scope, format: 'html' }), target: '_blank', rel: 'noopener', id: 'report-button' },
      '報告書を開く', h('span', { class: 'visually-hidden' }, '（新しいタブ）')),
    h('button', { type: 'button', class: 'button button--small', onclick: () => window.print() }, 'この画面を印刷'));
  return show(token, [
    pageHeading(`${surveyName(sv)}の進捗状況`, '評価区分別の取組数と割合、課題がある取組の理由と対応策'),
    actions,
    meta,
    total === 0 ? h('p', { class: 'notice' }, 'この調査には評価対象の取組がありません。') : null,
    h('section', { class: 'summary-top', 'aria-label': '調査結果' },
      cards,
      h('div', { class: 'overview' },
        h('figure', { class: 'overview__chart' }, donutChart(cats, total),
          h('figcaption', { class: 'legend' }, cats.map((c, i) => {
            const tone = categoryTone(i, cats.length);
            return h('span', { class: 'legend__item' }, h('span', { class: `swatch swatch--${tone}`, 'aria-hidden': 'true' }),
              h('span', { 'aria-hidden': 'true' }, TONE_ICON[tone]), ` ${c.label}`);
          }))),
        tableWrap('調査結果', resultTable))),
    reasonSection,
    flagSection,
    runsSection(survey, runs, run.id),
    projectSection(projects),
  ], `${surveyName(sv)} 概要`, 'summary');
}


export async function noRunsView(route, survey, token) {
  return show(token, [
    pageHeading('評価結果がまだありません'),
    h('section', { class: 'notice' },
      h('p', null, 'どの調査についても評価が実行されていないため、表示できる結果がありません。'),
      h('p', null, '各課の進捗報告を取り込み（hyoka import）、評価を実行する（hyoka evaluate または POST /api/v1/evaluations）と、ここに結果が表示されます。'),
      h('p', { class: 'error-panel__tech' }, `サーバーからの詳細: ${state.noRuns}`),
      state.surveys.length ? null : h('p', null, '調査（surveys.csv）もまだ登録されていません。')),
  ], '評価結果がまだありません', 'noruns');
}
