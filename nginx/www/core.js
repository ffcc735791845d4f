// core.js - what every view shares: state and cache, the hash routes and the run they show, the
// survey catalogue, the page chrome (navigation, survey selector, older-run banner, footer, live
// status) and the error panel.

import { h } from './dom.js';
import { apiGet, apiUrl, ApiError } from './api.js';
import { warekiDate, warekiDateTime, asOfLabel } from './format.js';
import { categoryTone, TONE_ICON } from './charts.js';

/** How long a summary or list fetched once is reused while moving between views. */
const CACHE_TTL_MS = 60000;
const SEVERITY = {
  critical: { label: '重大', icon: '‼' },
  warning: { label: '警告', icon: '!' },
  info: { label: '情報', icon: 'i' },
};

export const state = {
  surveys: null,        // [{code, as_of, label}] from /surveys
  defaultSurvey: null,  // the API's default survey code (that of /summary without ?survey=)
  noRuns: null,         // the API's detail when no survey has a run yet (then there is no default)
  cache: new Map(),     // API URL → {at, body}: summaries and lists, kept CACHE_TTL_MS
  token: 0,             // render generation: a response for an older navigation is dropped
  view: null,           // the view now on screen ('list' is updated in place)
  banner: null,         // the older-run banner drawn above every view (null: the newest run)
  firstRender: true,
};

/** rerender(): draws the current URL again. The router registers itself here, so views can offer
 *  a retry button without importing the router. */
let renderHook = () => {};
export function setRenderHook(fn) { renderHook = fn; }
export function rerender() { renderHook(); }

// ---------------------------------------------------------------------------------------------
// Routing

/** parseHash() → {name, arg, params} for '#/initiative/1-2-03?survey=2023'. */
export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const qpos = raw.indexOf('?');
  const path = qpos < 0 ? raw : raw.slice(0, qpos);
  const params = new URLSearchParams(qpos < 0 ? '' : raw.slice(qpos + 1));
  const parts = path.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return { name: parts[0] || 'summary', arg: parts.slice(1).join('/') || null, params };
}

/** link('list', {survey: '2023', reason: 'cost'}) → '#/list?survey=2023&reason=cost'; 概要 is
 *  '#/' (link('summary', {survey: '2023', run: 3}) → '#/?survey=2023&run=3'), as the menu has it. */
export function link(name, params = {}, arg = null) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const q = qs.toString();
  const path = name === 'summary' && !arg ? '' : name;
  return `#/${path}${arg ? `/${encodeURIComponent(arg)}` : ''}${q ? `?${q}` : ''}`;
}

/** scopeOf(route, survey) → {survey} or {survey, run}: what every API call of a view and every link
 *  inside it carries, so a view of an older run (#/?survey=2023&run=3) stays in that run. */
export function scopeOf(route, survey) {
  const run = route.params.get('run');
  return run ? { survey, run } : { survey };
}

// ---------------------------------------------------------------------------------------------
// Data

/** cached(path, params): GET through a short-lived cache, so moving between views does not
 *  refetch the survey's summary; a new evaluation run shows up within CACHE_TTL_MS. */
export async function cached(path, params = {}) {
  const key = apiUrl(path, params);
  const hit = state.cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.body;
  const body = await apiGet(path, params);
  state.cache.set(key, { at: Date.now(), body });
  return body;
}

/** listOf(body, 'surveys') → the array of a list response, whichever shape the endpoint uses
 *  ([...], {items: [...]}, {surveys: [...]}). */
export function listOf(body, key) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.items)) return body.items;
  if (body && key && Array.isArray(body[key])) return body[key];
  return [];
}

export async function ensureSurveys() {
  if (state.surveys && (state.defaultSurvey || state.noRuns)) return;
  const [surveys, summary] = await Promise.all([cached('surveys'), apiGet('summary').catch((e) => {
    // 404 without ?survey= means no survey has an evaluation run yet: a state, not an error
    if (e instanceof ApiError && e.status === 404) return { noRuns: e.detail || e.title };
    throw e;
  })]);
  state.surveys = listOf(surveys, 'surveys');
  state.noRuns = summary.noRuns || null;
  state.defaultSurvey = (summary.survey && summary.survey.code) || null;
  if (state.defaultSurvey) state.cache.set(apiUrl('summary', { survey: state.defaultSurvey }), { at: Date.now(), body: summary });
  fillSurveySelect();
}

/** The summary of a survey's newest run (summaryOf('2023')) or of the run a scope names
 *  (summaryOf({survey, run})): categories, reasons and flags in rule-file order (the catalog of
 *  labels), and the run it comes from. */
export function summaryOf(scope) {
  return cached('summary', typeof scope === 'string' ? { survey: scope } : scope);
}

/** newestRunOf(survey) → the survey's newest run ({id, evaluated_at, rules}) as /runs says it, or
 *  as /surveys said it when /runs cannot answer; null when neither knows. */
export async function newestRunOf(survey) {
  try {
    const items = listOf(await cached('runs', { survey, limit: 1 }), 'runs');
    const newest = items.find((x) => x.newest) || items[0];
    if (newest) return newest;
  } catch (e) {
    if (!(e instanceof ApiError) || e.kind !== 'client') throw e;
  }
  const sv = surveyByCode(survey);
  return (sv && sv.latest_run) || null;
}

/** runBanner(route, survey) → for a URL naming a run that is not the survey's newest, the notice
 *  that says so (評価日時, rule version) and links to the same view of the newest run; else null.
 *  Fetches the run's summary, so an unknown run (404) or a run of another survey (400) fails here
 *  with the API's detail before any view draws. */
export async function runBanner(route, survey) {
  const scope = scopeOf(route, survey);
  if (!scope.run) return null;
  const [sum, newest] = await Promise.all([summaryOf(scope), newestRunOf(survey)]);
  const run = sum.run || {};
  // the answer's own word when it has one (run.newest), else the survey's newest run's id
  if (run.newest === true || (typeof run.newest !== 'boolean' && newest && String(newest.id) === String(run.id))) return null;
  const params = Object.fromEntries(route.params);
  delete params.run;
  delete params.offset; // the newest run may have fewer rows
  const rules = run.rules || {};
  const other = newest && String(newest.id) !== String(run.id) ? newest : null; // null: not known yet
  const nrules = (other && other.rules) || {};
  return h('section', { class: 'run-banner', id: 'run-banner', 'aria-labelledby': 'run-banner-h' },
    h('p', { class: 'run-banner__title', id: 'run-banner-h' },
      h('span', { class: 'run-banner__icon', 'aria-hidden': 'true' }, '!'), '最新ではない評価結果を表示しています'),
    h('p', null, `${surveyName(sum.survey)}の過去の評価（評価番号 ${run.id ?? '—'}、評価日時 ${warekiDateTime(run.evaluated_at)}、`
      + `評価ルール 版 ${rules.version ?? '—'}）の結果です。`,
    other ? `この調査の最新の評価は評価番号 ${other.id}（${warekiDateTime(other.evaluated_at)}、評価ルール 版 ${nrules.version ?? '—'}）です。` : ''),
    h('p', { class: 'run-banner__actions' },
      h('a', { class: 'button button--small', href: link(route.name, params, route.arg), id: 'newest-run-link' }, '最新の評価結果を表示する')));
}

export function surveyByCode(code) {
  return (state.surveys || []).find((s) => s.code === code) || null;
}

export function surveyName(sv) {
  if (!sv) return '';
  return sv.label || asOfLabel(sv.as_of) || sv.code;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

export function catalogTone(catalog, id) {
  const cats = (catalog && catalog.categories) || [];
  const i = cats.findIndex((c) => c.id === id);
  return i < 0 ? 'mid' : categoryTone(i, cats.length);
}

export function categoryBadge(category, catalog, big = false) {
  if (!category) return h('span', { class: 'muted' }, '—');
  const tone = catalogTone(catalog, category.id);
  return h('span', { class: `cat cat--${tone}${big ? ' cat--big' : ''}` },
    h('span', { class: 'cat__icon', 'aria-hidden': 'true' }, TONE_ICON[tone]),
    category.label || category.id);
}

export function severityBadge(severity) {
  const sv = SEVERITY[severity] || SEVERITY.warning;
  return h('span', { class: `sev sev--${severity in SEVERITY ? severity : 'warning'}` },
    h('span', { class: 'sev__icon', 'aria-hidden': 'true' }, sv.icon), sv.label);
}

export function flagBadge(flag) {
  const sev = flag.severity in SEVERITY ? flag.severity : 'warning';
  return h('span', { class: `flag sev--${sev}`, title: `重要度: ${SEVERITY[sev].label}` },
    h('span', { class: 'sev__icon', 'aria-hidden': 'true' }, SEVERITY[sev].icon), flag.label || flag.id,
    h('span', { class: 'visually-hidden' }, `（${SEVERITY[sev].label}）`));
}

export function tableWrap(label, table) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}

export function pageHeading(text, sub) {
  return h('div', { class: 'page-head' },
    h('h1', { id: 'page-title', tabindex: '-1' }, text),
    sub ? h('p', { class: 'page-head__sub' }, sub) : null);
}

export function setStatus(text) {
  document.getElementById('status').textContent = text;
}

export function setBusy(busy) {
  const main = document.getElementById('main');
  main.setAttribute('aria-busy', busy ? 'true' : 'false');
  document.body.classList.toggle('is-loading', busy);
  if (busy) setStatus('読み込み中…');
}

/** show(token, nodes, title): replaces the main content unless a newer navigation started. */
export function show(token, nodes, title, viewName) {
  if (token !== state.token) return false;
  const main = document.getElementById('main');
  main.replaceChildren(...[state.banner, ...nodes].flat().filter(Boolean));
  document.title = `${title}${state.banner ? '（過去の評価）' : ''} | 取組評価ダッシュボード`;
  const changed = state.view !== viewName;
  state.view = viewName;
  if (!state.firstRender && changed) {
    const t = document.getElementById('page-title');
    if (t) t.focus({ preventScroll: false });
  }
  state.firstRender = false;
  return true;
}

export function updateNav(route) {
  const active = route.name === 'initiative' ? 'list' : route.name;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** updateChrome(scope, summary): the menu and the report link keep the survey and run shown; the
 *  footer names the run by its 評価日時 and rules' version (no SHA-256: that is for planners). */
export function updateChrome(scope, summary) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    const name = a.dataset.nav;
    a.setAttribute('href', link(name, scope));
  }
  document.getElementById('report-link').setAttribute('href', apiUrl('report', { ...scope, format: 'html' }));
  const foot = document.getElementById('footer-run');
  if (summary && summary.run) {
    const r = summary.run;
    const rules = r.rules || {};
    // managers read when and with which version; the run's number and SHA-256 are in 概要's 技術情報
    foot.textContent = `表示中の評価: ${surveyName(summary.survey)}（評価日時 ${warekiDateTime(r.evaluated_at)}${state.banner ? '、最新ではありません' : ''}）`
      + ` ・ 評価ルール 版 ${rules.version ?? '—'}`;
  } else {
    foot.textContent = '';
  }
}

export function fillSurveySelect() {
  const sel = document.getElementById('survey-select');
  const opts = state.surveys.map((sv) => {
    const noRun = sv.runs === 0 || sv.latest_run === null;
    const extra = sv.code === state.defaultSurvey ? '・最新の調査' : noRun ? '・未評価' : '';
    return h('option', { value: sv.code, disabled: noRun }, `${surveyName(sv)}（${warekiDate(sv.as_of)}${extra}）`);
  });
  if (!opts.length) opts.push(h('option', { value: '' }, '調査がありません'));
  else if (!state.defaultSurvey) opts.unshift(h('option', { value: '' }, '（評価結果なし）'));
  sel.replaceChildren(...opts);
  sel.disabled = !state.surveys.length;
}

export function syncSurveySelect(survey) {
  const sel = document.getElementById('survey-select');
  if (survey && ![...sel.options].some((o) => o.value === survey)) {
    sel.append(h('option', { value: survey }, `${survey}（不明な調査）`));
  }
  sel.value = survey || '';
}

// ---------------------------------------------------------------------------------------------
// Errors

/** errorPanel(err, retry) → what the user reads instead of a blank page: what happened, what to
 *  do, and (for 4xx) the API's own detail, which names the bad parameter. */
export function errorPanel(err, retry, { inline = false, backHref = null, backText = '概要に戻る' } = {}) {
  const e = err instanceof ApiError ? err : new ApiError('server', { detail: String(err && err.message || err) });
  let title, advice;
  if (e.kind === 'network') {
    title = 'サーバーに接続できません';
    advice = '評価データを提供するサーバーから応答がありません。しばらく待ってから「再試行」を押してください。'
      + '繰り返し表示される場合は、システム管理者に連絡してください（hyoka のサービスが停止している可能性があります）。';
  } else if (e.kind === 'server' && e.status === 503) {
    title = 'データベースに接続できません';
    advice = 'サーバーは動いていますが、データベースに接続できません。しばらく待ってから「再試行」を押してください。'
      + '解決しない場合はシステム管理者に連絡してください。';
  } else if (e.kind === 'busy') {
    title = 'アクセスが集中しています';
    advice = '短い時間に多くの要求がありました。数秒待ってから「再試行」を押してください。';
  } else if (e.kind === 'server') {
    title = 'サーバーでエラーが発生しました';
    advice = '時間をおいて「再試行」を押してください。解決しない場合は、下の技術情報を添えてシステム管理者に連絡してください。';
  } else if (e.status === 404) {
    title = '見つかりません';
    advice = '指定された調査・評価または取組は存在しません。リンクが古い可能性があります。';
  } else {
    title = '指定された条件を処理できません';
    advice = '条件の指定に誤りがあります。下の内容を確認し、条件を変更してください。';
  }
  const tech = [e.status ? `HTTP ${e.status}` : null, e.title || null, e.url || null].filter(Boolean).join(' ・ ');
  return h('section', { class: `error-panel${inline ? ' error-panel--inline' : ''}`, role: 'alert', 'aria-labelledby': inline ? 'error-title' : 'page-title' },
    h(inline ? 'h2' : 'h1', { id: inline ? 'error-title' : 'page-title', tabindex: '-1', class: 'error-panel__title' },
      h('span', { class: 'error-panel__icon', 'aria-hidden': 'true' }, '!'), title),
    h('p', null, advice),
    e.detail && e.kind === 'client' ? h('p', { class: 'error-panel__detail' }, h('strong', null, '内容: '), e.detail) : null,
    tech ? h('p', { class: 'error-panel__tech' }, `技術情報: ${tech}`) : null,
    e.detail && e.kind !== 'client' ? h('p', { class: 'error-panel__tech' }, `サーバーからの詳細: ${e.detail}`) : null,
    h('p', { class: 'error-panel__actions' },
      e.kind === 'client'
        ? h('a', { class: 'button', href: backHref || link('summary', {}) }, backText)
        : h('button', { type: 'button', class: 'button button--primary', id: 'retry', onclick: retry }, '再試行')));
}
