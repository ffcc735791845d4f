// app.js - the dashboard's entry: a small hash router over the views 概要, 所管課別, 施策別,
// 取組一覧, 取組詳細 and 指標, all drawn from the public API (/api/v1/…) of the selected survey.
//
// Every view state is in the URL (#/list?survey=2023&reason=cost&offset=50), so a view can be
// shared and the back button works. run=ID (#/?survey=2023&run=3) shows an older stored run of the
// survey: every view passes it to the API and keeps it in its links, under a banner saying so. Labels come from the API (that is, from the rule set); the
// only fixed words are the dashboard's own headings.

import { h } from './dom.js';
import { ApiError } from './api.js';
import { installChartDefs } from './charts.js';
import {
  state, parseHash, link, ensureSurveys, pageHeading, setStatus, setBusy, show, updateNav, syncSurveySelect,
  errorPanel, setRenderHook, runBanner, scopeOf,
} from './core.js';
import { summaryView, noRunsView } from './view-summary.js';
import { groupView } from './view-groups.js';
import { listView } from './view-list.js';
import { initiativeView } from './view-initiative.js';
import { kpiView } from './view-kpis.js';
import { rulesView } from './view-rules.js';

async function notFoundView(route, survey, token) {
  return show(token, [pageHeading('ページが見つかりません'),
    h('p', null, 'アドレスが正しいか確認してください。', h('a', { href: link('summary', scopeOf(route, survey)) }, '概要に戻る'))], 'ページが見つかりません', 'notfound');
}

const VIEWS = {
  summary: summaryView,
  departments: (r, s, t) => groupView('departments', s, t, r),
  measures: (r, s, t) => groupView('measures', s, t, r),
  list: listView,
  initiative: initiativeView,
  kpis: kpiView,
  rules: rulesView,
};

// ---------------------------------------------------------------------------------------------
// Router

/** The survey selector keeps the view and its filters, with the other survey's newest run (paging
 *  restarts; a run belongs to one survey). */
function onSurveyChange(ev) {
  const route = parseHash();
  const params = Object.fromEntries(route.params);
  params.survey = ev.target.value;
  delete params.offset;
  delete params.run;
  location.hash = link(route.name, params, route.arg);
}

/** render(): draws the view the URL names; a newer navigation makes an older one's answers moot. */
async function render() {
  const token = ++state.token;
  const route = parseHash();
  updateNav(route);
  setBusy(true);
  state.banner = null;
  try {
    await ensureSurveys();
    const survey = route.params.get('survey') || state.defaultSurvey;
    syncSurveySelect(survey);
    let view = (route.name === 'initiative' && !route.arg) ? notFoundView : (VIEWS[route.name] || notFoundView);
    if (state.noRuns && !route.params.get('survey') && route.name !== 'kpis') view = noRunsView;
    // an older run: its banner first (an unknown run, or one of another survey, fails here)
    const banner = view === noRunsView ? null : await runBanner(route, survey);
    if (token !== state.token) return;
    state.banner = banner;
    const shown = await view(route, survey, token);
    if (shown && token === state.token && route.name !== 'list') setStatus('');
  } catch (e) {
    if (token !== state.token) return;
    const retry = () => { state.cache.clear(); state.surveys = null; state.defaultSurvey = null; state.noRuns = null; render(); };
    if (!state.surveys) {
      const sel = document.getElementById('survey-select');
      sel.replaceChildren(h('option', { value: '' }, '（取得できません）'));
      sel.disabled = true;
    }
    show(token, [errorPanel(e, retry)], 'エラー', `error:${token}`);
    const title = document.getElementById('page-title');
    // the live region repeats the panel's heading (and a 4xx detail) for screen readers
    setStatus([title ? title.textContent.replace(/^!/, '') : 'エラー',
      e instanceof ApiError && e.kind === 'client' ? e.detail : ''].filter(Boolean).join(': '));
    if (title) title.focus();
  } finally {
    if (token === state.token) {
      setBusy(false);
      // which URL the page now shows, complete, run= included (tests and scripts wait on it)
      document.documentElement.dataset.rendered = location.hash || '#/';
    }
  }
}

function start() {
  setRenderHook(render);
  installChartDefs();
  // The skip link must not change the hash: the hash is the router's.
  document.querySelector('.skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    const main = document.getElementById('main');
    main.focus();
    main.scrollIntoView();
  });
  document.getElementById('survey-select').addEventListener('change', onSurveyChange);
  document.getElementById('survey-form').addEventListener('submit', (e) => e.preventDefault());
  window.addEventListener('hashchange', () => {
    // only '#/…' is a view; any other fragment (an in-page anchor) leaves the view as it is
    if (location.hash === '' || location.hash.startsWith('#/')) render();
  });
  render();
}

start();
