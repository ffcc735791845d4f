// runs.test.mjs - older runs (SPEC "Additions in v1.1": /runs, run=ID, identical evaluations).
// For every survey that has a run, two more runs are stored: one by `hyoka evaluate` with a rule
// set whose on_track_ratio differs (so its figures differ), then one by POST /api/v1/evaluations
// with the server's rules. Then: /runs lists all three; run=ID on summary, initiatives (JSON and
// CSV), an initiative's detail, the report and the dashboard shows what was stored for that run
// (the answer of the command that stored it, and the database's rows); without run= the newest
// run is shown; an identical POST stores nothing. Runs after views and dashboard (it adds runs).
//
// Needs HYOKA_TOKEN (a write token) and, per survey, DIR/evaluate-CODE.json: the JSON that
// `hyoka evaluate --format json` printed when run.sh stored the survey's first run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BASE, STACK, DATASET, api, get, qs, cli, sql, parseCsv, splitList, noMismatch, surveysWithRuns, mdTables,
  rowFor, cellNumber, launch, rendered, summaryDiff,
} from './lib.mjs';

const TOKEN = process.env.HYOKA_TOKEN;
assert.ok(TOKEN, 'HYOKA_TOKEN must be set (run.sh takes it from the stack)');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

const surveys = await surveysWithRuns();

// A rule set that differs from the default one only in two thresholds (and its version): its runs
// have other figures (checked), so a view that ignores run= cannot pass.
const altered = path.join(STACK, 'rules-altered.cfg');
const defaultRules = fs.readFileSync(path.join(ROOT, 'config/rules/default.cfg'), 'utf8');
const alteredRules = defaultRules.replace(/on_track_ratio\s*=\s*[0-9.]+;/, 'on_track_ratio = 1.5;')
  .replace(/progressing_ratio\s*=\s*[0-9.]+;/, 'progressing_ratio = 0.9;').replace(/^version = .*$/m, 'version = "2024.1-consistency";');
assert.ok(alteredRules.includes('on_track_ratio = 1.5;') && alteredRules.includes('progressing_ratio = 0.9;'), 'could not alter the thresholds of config/rules/default.cfg');
fs.writeFileSync(altered, alteredRules);

/** The runs of one survey, stored once on first use: {first, altered, posted} answers. */
function runsOf(code) {
  let p = null;
  return () => (p ??= (async () => {
    const first = JSON.parse(fs.readFileSync(path.join(STACK, `evaluate-${code}.json`), 'utf8'));
    assert.ok(first.run && first.run.id, `${STACK}/evaluate-${code}.json has no run id`);
    const c = cli(['evaluate', '--survey', code, '--rules', altered, '--format', 'json']);
    assert.equal(c.status, 0, `hyoka evaluate --rules rules-altered.cfg exit ${c.status}: ${c.stderr}`);
    const alt = JSON.parse(c.stdout);
    assert.ok(alt.run && alt.run.id > first.run.id, `the altered evaluation stored no new run: ${JSON.stringify(alt.run)}`);
    assert.notDeepEqual(alt.summary.categories.map((c) => c.count), first.summary.categories.map((c) => c.count),
      'on_track_ratio = 1.5 and progressing_ratio = 0.9 left every category count as it was: the older runs would not tell apart');
    const r = await post(code);
    assert.equal(r.status, 201, `POST /api/v1/evaluations {"survey": "${code}"} after a run with other rules: ${r.status} ${r.text.slice(0, 200)}`);
    return { first, alt, posted: r.json };
  })());
}
const post = (code) => get('/api/v1/evaluations', {
  method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  body: JSON.stringify({ survey: code }),
});

/** The results the database holds for a run: code → {category, score, reasons, flags}. */
const storedResults = (runId) => new Map(sql(`
  SELECT i.code, r.category, coalesce(r.score::text, ''), array_to_string(r.reasons, ';'), array_to_string(r.flags, ';')
  FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id WHERE r.run_id = :'p1'`, runId)
  .map(([code, category, score, reasons, flags]) => [code, { category, score: score === '' ? null : Number(score), reasons, flags }]));
const ids = (list) => (list || []).map((x) => (typeof x === 'string' ? x : x.id));
const fromItem = (it) => ({ category: it.category.id, score: it.score, reasons: ids(it.reasons).join(';'), flags: ids(it.flags).join(';') });

/** compareResults(what, got Map, want Map, label) → mismatch lines. */
function compareResults(what, got, want, wantName) {
  const bad = [];
  if (got.size !== want.size) bad.push(`${what}: ${got.size} initiatives, ${wantName} ${want.size}`);
  for (const [code, w] of want) {
    const g = got.get(code);
    if (!g) { bad.push(`${what}: ${code} missing (${wantName} has it)`); continue; }
    for (const k of Object.keys(w)) if (g[k] !== w[k]) bad.push(`${what}: ${code} ${k} ${JSON.stringify(g[k])}, ${wantName} ${JSON.stringify(w[k])}`);
    if (bad.length > 20) break;
  }
  return bad;
}

let browser = null;
after(async () => { if (browser) await browser.close(); });

for (const s of surveys) {
  const S = s.code;
  const runs = runsOf(S);
  const name = (what) => `${DATASET} survey ${S}: ${what}`;
  /** The older runs: [{id, answer (what the CLI printed when storing it)}]. */
  const older = async () => { const r = await runs(); return [{ id: r.first.run.id, answer: r.first, by: 'the first `hyoka evaluate`' }, { id: r.alt.run.id, answer: r.alt, by: '`hyoka evaluate --rules rules-altered.cfg`' }]; };

  test(name('runs (v1.1): GET /runs lists the survey\'s runs newest first, each with the id, rules and total it was stored with'), async () => {
    const r = await runs();
    const res = await get(`/api/v1/runs?${qs({ survey: S })}`);
    assert.equal(res.status, 200, `GET /api/v1/runs?survey=${S} answered ${res.status}: ${res.text.slice(0, 200)}`);
    const items = res.json.items;
    const bad = [];
    const want = [
      { id: r.posted.run.id, sha: r.posted.run.rules.sha256, total: r.posted.total, by: 'POST /evaluations' },
      { id: r.alt.run.id, sha: r.alt.run.rules.sha256, total: r.alt.summary.total, by: 'hyoka evaluate (altered rules)' },
      { id: r.first.run.id, sha: r.first.run.rules.sha256, total: r.first.summary.total, by: 'the first hyoka evaluate' }];
    const pos = want.map((w) => items.findIndex((x) => x.id === w.id));
    want.forEach((w, i) => {
      const it = items[pos[i]];
      if (!it) { bad.push(`run ${w.id} (${w.by}) not listed`); return; }
      if (it.rules.sha256 !== w.sha) bad.push(`run ${w.id}: /runs sha256 ${it.rules.sha256}, stored with ${w.sha}`);
      if (it.total !== w.total) bad.push(`run ${w.id}: /runs total ${it.total}, stored ${w.total}`);
      if (it.survey.code !== S) bad.push(`run ${w.id}: /runs survey ${it.survey.code}`);
    });
    if (!(pos[0] < pos[1] && pos[1] < pos[2])) bad.push(`order: runs ${want.map((w) => w.id).join(', ')} at positions ${pos.join(', ')} (newest first wanted)`);
    noMismatch(bad, '/runs');
  });

  test(name('runs: without run=, summary and list answer from the newest run (the POST\'s answer)'), async () => {
    const r = await runs();
    const sum = await api('summary', { survey: S });
    const bad = summaryDiff('GET /summary', sum, r.posted, 'the POST answered');
    if (sum.run.id !== r.posted.run.id) bad.push(`GET /summary run.id ${sum.run.id}, the POST stored run ${r.posted.run.id}`);
    const l = await api('initiatives', { survey: S, category: r.posted.categories[0].id, limit: 1 });
    if (l.total !== r.posted.categories[0].count) bad.push(`list total (category=${r.posted.categories[0].id}) ${l.total}, the POST's summary ${r.posted.categories[0].count}`);
    noMismatch(bad, 'newest run');
  });

  test(name('runs (v1.1): GET /summary?run=ID of an older run = the summary stored with it'), async () => {
    const bad = [];
    for (const o of await older()) {
      const res = await get(`/api/v1/summary?${qs({ survey: S, run: o.id })}`);
      if (res.status !== 200) { bad.push(`GET /summary?survey=${S}&run=${o.id} answered ${res.status}: ${(res.json && res.json.detail) || res.text.slice(0, 120)}`); continue; }
      if (res.json.run.id !== o.id) bad.push(`GET /summary?run=${o.id}: run.id ${res.json.run.id}`);
      if (res.json.run.rules.sha256 !== o.answer.run.rules.sha256) bad.push(`GET /summary?run=${o.id}: rules ${res.json.run.rules.sha256}, stored with ${o.answer.run.rules.sha256}`);
      bad.push(...summaryDiff(`GET /summary?run=${o.id}`, res.json, o.answer.summary, `${o.by} answered`));
    }
    noMismatch(bad, 'summary of older runs');
  });

  test(name('runs (v1.1): GET /initiatives?run=ID (JSON, every page) = the results stored for that run (database and the CLI\'s answer)'), async () => {
    const bad = [];
    for (const o of await older()) {
      const got = new Map();
      let failed = false;
      for (;;) {
        const res = await get(`/api/v1/initiatives?${qs({ survey: S, run: o.id, limit: 500, offset: got.size })}`);
        if (res.status !== 200) { bad.push(`GET /initiatives?survey=${S}&run=${o.id} answered ${res.status}: ${(res.json && res.json.detail) || res.text.slice(0, 120)}`); failed = true; break; }
        for (const it of res.json.items) got.set(it.code, fromItem(it));
        if (res.json.items.length === 0 || got.size >= res.json.total) break;
      }
      if (failed) continue;
      bad.push(...compareResults(`run=${o.id} list`, got, storedResults(o.id), 'the database'));
      bad.push(...compareResults(`run=${o.id} list`, got, new Map(o.answer.results.map((it) => [it.code, fromItem(it)])), o.by));
    }
    noMismatch(bad, 'list of older runs');
  });

  test(name('runs (v1.1): GET /initiatives?run=ID&format=csv = the results stored for that run'), async () => {
    const bad = [];
    for (const o of await older()) {
      const res = await get(`/api/v1/initiatives?${qs({ survey: S, run: o.id, format: 'csv' })}`);
      if (res.status !== 200) { bad.push(`GET /initiatives?survey=${S}&run=${o.id}&format=csv answered ${res.status}: ${(res.json && res.json.detail) || res.text.slice(0, 120)}`); continue; }
      const got = new Map(parseCsv(res.text).map((row) => [row.code, { category: row.category, score: row.score === '' ? null : Number(row.score), reasons: splitList(row.reasons).join(';'), flags: splitList(row.flags).join(';') }]));
      bad.push(...compareResults(`run=${o.id} CSV`, got, storedResults(o.id), 'the database'));
    }
    noMismatch(bad, 'CSV of older runs');
  });

  test(name('runs (v1.1): GET /initiatives/CODE?run=ID = the stored result (one initiative of each category)'), async () => {
    const bad = [];
    for (const o of await older()) {
      const stored = storedResults(o.id);
      const sample = new Map();
      for (const [code, v] of stored) if (!sample.has(v.category)) sample.set(v.category, code);
      for (const code of sample.values()) {
        const res = await get(`/api/v1/initiatives/${encodeURIComponent(code)}?${qs({ survey: S, run: o.id })}`);
        if (res.status !== 200) { bad.push(`GET /initiatives/${code}?survey=${S}&run=${o.id} answered ${res.status}: ${(res.json && res.json.detail) || res.text.slice(0, 120)}`); continue; }
        const g = fromItem(res.json), w = stored.get(code);
        for (const k of Object.keys(w)) if (g[k] !== w[k]) bad.push(`${code} run=${o.id} ${k}: detail ${JSON.stringify(g[k])}, database ${JSON.stringify(w[k])}`);
      }
    }
    noMismatch(bad, 'detail of older runs');
  });

  test(name('runs (v1.1): GET /report?run=ID&format=md tables = the summary stored with that run'), async () => {
    const bad = [];
    for (const o of await older()) {
      const res = await get(`/api/v1/report?${qs({ survey: S, run: o.id, format: 'md' })}`);
      if (res.status !== 200) { bad.push(`GET /report?survey=${S}&run=${o.id} answered ${res.status}: ${(res.json && res.json.detail) || res.text.slice(0, 120)}`); continue; }
      const tables = mdTables(res.text);
      for (const c of o.answer.summary.categories) {
        const hit = rowFor(tables, c.label);
        if (!hit || cellNumber(hit.row[1]) !== c.count) bad.push(`report run=${o.id}: category ${c.id} ${hit ? hit.row[1] : '(no row)'}, stored ${c.count}`);
      }
      for (const r of o.answer.summary.reasons) {
        const hit = rowFor(tables, r.label, (t) => t.header[0].includes('理由'));
        if (!hit || cellNumber(hit.row[1]) !== r.count) bad.push(`report run=${o.id}: reason ${r.id} ${hit ? hit.row[1] : '(no row)'}, stored ${r.count}`);
      }
    }
    noMismatch(bad, 'report of older runs');
  });

  test(name('runs (v1.1): the dashboard at #/?survey=S&run=ID shows the older run\'s category counts'), async () => {
    browser ??= await launch();
    const page = browser.pages()[0] || await browser.newPage();
    const bad = [];
    for (const o of await older()) {
      const hash = `#/?${qs({ survey: S, run: o.id })}`;
      await page.goto('about:blank');
      await page.goto(`${BASE}/${hash}`);
      await rendered(page, hash);
      const counts = await page.$$eval('.cat-card__count', (els) => els.map((e) => e.firstChild.textContent));
      o.answer.summary.categories.forEach((c, i) => {
        if (cellNumber(counts[i] ?? '') !== c.count) bad.push(`${hash}: card ${c.id} shows ${counts[i]}, run ${o.id} stored ${c.count}`);
      });
    }
    noMismatch(bad, 'dashboard of older runs');
  });

  test(name('runs (v1.1): an identical POST /evaluations stores nothing and answers 200 with the newest run and its Location'), async () => {
    const r = await runs();
    const before = Number(sql(`SELECT count(*) FROM evaluation_runs`)[0][0]);
    const res = await post(S);
    const afterCount = Number(sql(`SELECT count(*) FROM evaluation_runs`)[0][0]);
    const bad = [];
    if (res.status !== 200) bad.push(`status ${res.status}, want 200`);
    if (afterCount !== before) bad.push(`evaluation_runs went from ${before} to ${afterCount} rows`);
    if (!res.json || !res.json.run || res.json.run.id !== r.posted.run.id) bad.push(`answer's run.id ${res.json && res.json.run ? res.json.run.id : '(none)'}, the newest run is ${r.posted.run.id}`);
    // "its Location": a URL that names the run, as run=ID or as a path segment
    const loc = new URL(res.headers.get('location') || '/', BASE);
    const namesRun = loc.searchParams.get('run') === String(r.posted.run.id) || loc.pathname.split('/').includes(String(r.posted.run.id));
    if (!namesRun) bad.push(`Location '${res.headers.get('location')}' does not name run ${r.posted.run.id}`);
    if (res.json) bad.push(...summaryDiff('identical POST answer', res.json, r.posted, 'the first POST answered'));
    noMismatch(bad, 'identical evaluation');
  });
}
