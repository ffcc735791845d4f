// api.test.mjs - the HTTP API through the real nginx, hyoka-fcgi and PostgreSQL (started by run.sh):
// every endpoint and filter against the stored run (`hyoka evaluate --format json` of the same run),
// every error status, unknown and malformed parameters, SQL-injection strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const base = process.env.HYOKA_URL;
const dir = process.env.HYOKA_STACK_DIR;
assert.ok(base && dir, 'HYOKA_URL and HYOKA_STACK_DIR must be set (tests/http/run.sh does it)');
const stored = JSON.parse(readFileSync(`${dir}/evaluate-2023.json`, 'utf8'));
const stored2022 = JSON.parse(readFileSync(`${dir}/evaluate-2022.json`, 'utf8'));

async function get(path, init) {
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json = null;
  if ((res.headers.get('content-type') || '').includes('json')) json = JSON.parse(text);
  return { status: res.status, type: res.headers.get('content-type'), text, json, headers: res.headers };
}

/** Changes one stated reason of survey SURVEY's facts (as the database's owner, PG* from run.sh),
 *  so that the next evaluation of it is not identical to its newest run (SPEC v1.1). */
let touches = 0;
function touchFacts(survey) {
  touches++;
  execFileSync('psql', ['-qAtX', '-v', 'ON_ERROR_STOP=1', '-v', `s=${survey}`, '-v', `n=${touches}`], {
    input: `UPDATE progress_reports SET reported_reason = coalesce(reported_reason, '') || ' (' || :'n' || ')'
             WHERE survey_id = (SELECT id FROM surveys WHERE code = :'s')
               AND initiative_id = (SELECT min(initiative_id) FROM progress_reports p JOIN surveys s
                                    ON s.id = p.survey_id WHERE s.code = :'s')`,
  });
}

function isProblem(r, status, parameter) {
  assert.equal(r.status, status, `${status} expected, got ${r.status}: ${r.text}`);
  assert.match(r.type, /^application\/problem\+json/);
  for (const k of ['type', 'title', 'status', 'detail']) assert.ok(k in r.json, `problem has ${k}`);
  assert.equal(r.json.status, status);
  if (parameter !== undefined) assert.equal(r.json.parameter, parameter, r.text);
  assert.doesNotMatch(r.text, /PQ|libpq|SQL|ERROR:|\.c:\d+/, 'no internals in problems');
}

// Numeric-segment order of codes, as the SPEC fixes it.
function codeCmp(a, b) {
  const sa = a.match(/\d+|\D+/g), sb = b.match(/\d+|\D+/g);
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i], y = sb[i];
    if (/^\d/.test(x) && /^\d/.test(y)) { if (+x !== +y) return +x - +y; }
    else if (x !== y) return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}

const asciiLower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const strip = (it) => ({ code: it.code, title: it.title, measure: it.measure, departments: it.departments,
  score: it.score, category: it.category, reasons: it.reasons, flags: it.flags,
  recommendations: it.recommendations });

test('summary equals the stored run (seed: 105 = 82/9/14, reasons 5/5/4)', async () => {
  const r = await get('/api/v1/summary');
  assert.equal(r.status, 200);
  assert.match(r.type, /^application\/json; charset=utf-8/);
  assert.equal(r.json.survey.code, '2023');
  assert.equal(r.json.survey.label, '令和5年度末');
  assert.equal(r.json.run.id, stored.run.id);
  assert.equal(r.json.run.rules.sha256, stored.run.rules.sha256);
  assert.equal(r.json.total, 105);
  assert.deepEqual(r.json.categories.map((c) => [c.id, c.count, c.percent]),
    [['on_track', 82, 78.1], ['delayed', 9, 8.6], ['stalled', 14, 13.3]]);
  assert.deepEqual(r.json.reasons.map((c) => c.count), [5, 5, 4]);
  assert.deepEqual(r.json.categories, stored.summary.categories);
  assert.deepEqual(r.json.reasons, stored.summary.reasons);
  assert.deepEqual(r.json.flags, stored.summary.flags);
  const old = await get('/api/v1/summary?survey=2022');
  assert.equal(old.json.survey.code, '2022');
  assert.deepEqual(old.json.categories, stored2022.summary.categories);
});

test('initiatives: every item equals the stored result, in numeric code order', async () => {
  const r = await get('/api/v1/initiatives?limit=500');
  assert.equal(r.status, 200);
  assert.equal(r.json.total, stored.results.length);
  assert.equal(r.json.limit, 500);
  assert.equal(r.json.offset, 0);
  assert.deepEqual(r.json.items.map(strip), stored.results.map(strip));
  const codes = r.json.items.map((i) => i.code);
  assert.deepEqual(codes, [...codes].sort(codeCmp));
  assert.equal((await get('/api/v1/initiatives')).json.items.length, 50, 'default limit 50');
});

test('initiatives: filters match the stored run', async () => {
  const all = stored.results;
  const cases = [
    ['category=stalled', (i) => i.category.id === 'stalled'],
    ['reason=cost', (i) => i.reasons.some((x) => x.id === 'cost')],
    ['flag=delay', (i) => i.flags.some((x) => x.id === 'delay')],
    ['department=' + encodeURIComponent('情報政策課'), (i) => i.departments.includes('情報政策課')],
    ['measure=1-1', (i) => i.measure.code === '1-1'],
    ['q=' + encodeURIComponent('オンライン'), (i) => i.code.includes('オンライン') || i.title.includes('オンライン')],
    ['q=1-2-0', (i) => i.code.includes('1-2-0') || i.title.includes('1-2-0')],
    ['q=dx', (i) => asciiLower(i.code).includes('dx') || asciiLower(i.title).includes('dx')],
    ['category=on_track&flag=delay', (i) => i.category.id === 'on_track' && i.flags.some((x) => x.id === 'delay')],
    ['survey=2023&reason=context&category=stalled', (i) => i.category.id === 'stalled' && i.reasons.some((x) => x.id === 'context')],
  ];
  for (const [q, pred] of cases) {
    const r = await get('/api/v1/initiatives?limit=500&' + q);
    assert.equal(r.status, 200, q);
    const want = all.filter(pred).map((i) => i.code);
    assert.deepEqual(r.json.items.map((i) => i.code), want, q);
    assert.equal(r.json.total, want.length, q);
  }
  assert.ok((await get('/api/v1/initiatives?category=stalled')).json.total === 14);
  assert.ok((await get('/api/v1/initiatives?q=dx')).json.total > 0, 'the demo has DX initiatives');
});

test('initiatives: sort orders with tie-breaks and nulls last, paging', async () => {
  const all = stored.results;
  const byScore = (dir) => [...all].sort((a, b) => {
    if ((a.score === null) !== (b.score === null)) return a.score === null ? 1 : -1;
    if (a.score !== b.score) return dir * (a.score - b.score);
    return codeCmp(a.code, b.code);
  }).map((i) => i.code);
  for (const [sort, want] of [['score', byScore(1)], ['-score', byScore(-1)],
    ['title', [...all].sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : codeCmp(a.code, b.code))).map((i) => i.code)],
    ['code', all.map((i) => i.code)]]) {
    const r = await get(`/api/v1/initiatives?limit=500&sort=${encodeURIComponent(sort)}`);
    assert.deepEqual(r.json.items.map((i) => i.code), want, sort);
  }
  const page = await get('/api/v1/initiatives?sort=-score&limit=7&offset=10');
  assert.deepEqual(page.json.items.map((i) => i.code), byScore(-1).slice(10, 17));
  const past = await get('/api/v1/initiatives?offset=1000');
  assert.equal(past.json.items.length, 0);
  assert.equal(past.json.total, 105);
});

test('initiatives: format=csv is UTF-8 with BOM and every matching row', async () => {
  const r = await get('/api/v1/initiatives?format=csv&category=stalled&limit=1');
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/csv; charset=utf-8/);
  const raw = Buffer.from(await (await fetch(base + '/api/v1/initiatives?format=csv')).arrayBuffer());
  assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const lines = r.text.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.equal(lines.length, 1 + 14, 'header + 14 stalled rows, no paging');
  assert.match(lines[0], /^code,title,/);
  const all = raw.toString('utf8').trim().split('\r\n');
  assert.equal(all.length, 106);
});

test('initiative detail: ITEM + facts + explanation + history', async () => {
  const item = stored.results.find((i) => i.category.id === 'stalled' && i.reasons.length > 0);
  const r = await get('/api/v1/initiatives/' + encodeURIComponent(item.code));
  assert.equal(r.status, 200);
  assert.deepEqual(strip(r.json), strip(item));
  assert.deepEqual(r.json.facts, item.facts);
  assert.ok(Array.isArray(r.json.explanation) && r.json.explanation.length > 0);
  const kinds = new Set(r.json.explanation.map((s) => s.kind));
  for (const k of ['reason', 'category', 'score']) assert.ok(kinds.has(k), `explains ${k}`);
  for (const s of r.json.explanation) {
    for (const k of ['kind', 'id', 'source', 'expression', 'inputs', 'result', 'text']) assert.ok(k in s, `step has ${k}`);
    assert.match(s.source, /default\.cfg:\d+$/);
  }
  const cat = r.json.explanation.filter((s) => s.kind === 'category').at(-1);
  assert.equal(cat.id, item.category.id, 'categories listed up to the match');
  assert.deepEqual(r.json.history.map((h) => h.survey.code), ['2022', '2023']);
  assert.equal(r.json.history[1].category.id, item.category.id);
  assert.equal(r.json.history[1].score, item.score);
  const old = stored2022.results.find((i) => i.code === item.code);
  if (old) assert.equal(r.json.history[0].category.id, old.category.id);
  isProblem(await get('/api/v1/initiatives/9-9-99'), 404);
  isProblem(await get('/api/v1/initiatives/' + encodeURIComponent(item.code) + '?survey=1999'), 404);
});

/** config/demo/departments.csv as objects, in file order. */
function demoDepartments() {
  const lines = readFileSync(new URL('../../config/demo/departments.csv', import.meta.url), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
}

/** Makes the servers drop what they cached from imported data, as an import does (sql/009). */
function dataChanged(sqlText) {
  execFileSync('psql', ['-qAtX', '-v', 'ON_ERROR_STOP=1'], {
    input: `${sqlText}; UPDATE data_version SET version = version + 1; NOTIFY hyoka_data;` });
}

async function departmentsWhenChanged(check) {
  // the NOTIFY reaches every worker a moment later: ask until the answer has changed, then ask
  // 8 times more (any worker may answer); a worker still serving the old answer after 5 s is a
  // notification it never acted on (one libpq had read during a query: fcgi/db.h db_poll_queued)
  let seen = 0;
  for (let i = 0; i < 50 && seen < 8; i++) {
    const d = await get('/api/v1/departments?survey=2023');
    if (check(d.json)) seen++;
    else { seen = 0; await new Promise((r) => setTimeout(r, 100)); }
  }
  const last = (await get('/api/v1/departments?survey=2023')).json;
  assert.ok(seen >= 8 && check(last), 'every worker serves the changed departments within 5 s');
  return last;
}

test('departments: by 部 in the order of departments.csv; each 部 with totals from the results', async () => {
  const file = demoDepartments().sort((a, b) => a.position - b.position);
  const d = (await get('/api/v1/departments?survey=2023')).json;
  const named = new Set(stored.results.flatMap((i) => i.departments));
  assert.deepEqual(d.items.map((x) => x.name), file.filter((f) => named.has(f.name)).map((f) => f.name), 'organisation order');
  for (const x of d.items) {
    const f = file.find((y) => y.name === x.name);
    assert.deepEqual([x.kana, x.position, x.division], [f.kana, Number(f.position), { name: f.division, kana: f.division_kana }], x.name);
  }
  const divs = [...new Set(d.items.map((x) => x.division.name))];
  assert.deepEqual(d.divisions.map((v) => v.name), divs, '部 in the order of their first 課');
  const cats = stored.summary.categories.map((c) => c.id);
  for (const v of d.divisions) {
    const mine = stored.results.filter((i) => i.departments.some((n) => file.find((f) => f.name === n).division === v.name));
    assert.equal(v.total, mine.length, `${v.name}: an initiative counts once in its 部`);
    for (const c of cats) assert.equal(v.counts[c], mine.filter((i) => i.category.id === c).length, `${v.name} ${c}`);
    const scored = mine.filter((i) => i.score !== null);
    if (scored.length) assert.ok(Math.abs(v.mean_score - scored.reduce((a, i) => a + i.score, 0) / scored.length) < 0.051, v.name);
    assert.deepEqual(v.departments, d.items.filter((x) => x.division.name === v.name).map((x) => x.name));
  }
  // somewhere two 課 of one 部 share an initiative: then the 部 total is less than its 課' sum
  assert.ok(d.divisions.some((v) => v.total < d.items.filter((x) => x.division.name === v.name).reduce((a, x) => a + x.total, 0)),
    'the demo has an initiative of two 課 of one 部');
  const csv = await get('/api/v1/departments?survey=2023&format=csv');
  const rows = csv.text.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.ok(rows[0].split(',').includes('division.name'), rows[0]);
  assert.deepEqual(rows.slice(1).map((r) => r.split(',')[0].replace(/^"(.*)"$/, '$1')), d.items.map((x) => x.name), 'CSV in the same order');
});

test('departments: without positions in 五十音 order of the readings; without readings by name', async () => {
  const ja = new Intl.Collator('ja');
  try {
    dataChanged('UPDATE departments SET position = NULL');
    const d = await departmentsWhenChanged((j) => j.items.every((x) => x.position === null));
    assert.ok(d.items.every((x) => x.position === null), 'positions cleared');
    assert.ok(d.items.every((x) => x.kana) && d.divisions.length > 5, 'readings and 部 of departments.csv (the demo)');
    const divs = d.divisions.map((v) => v.kana);
    assert.deepEqual(divs, [...divs].sort(ja.compare), '部 by their readings (五十音)');
    for (const v of d.divisions) {
      const kana = d.items.filter((x) => x.division.name === v.name).map((x) => x.kana);
      assert.deepEqual(kana, [...kana].sort(ja.compare), `課 of ${v.name} by their readings`);
    }
    dataChanged('UPDATE departments SET kana = NULL, division = NULL, division_kana = NULL');
    const n = await departmentsWhenChanged((j) => j.items.every((x) => x.kana === null));
    assert.deepEqual(n.divisions.map((v) => v.name), [null], 'one group without a 部');
    const names = n.items.map((x) => x.name);
    assert.deepEqual(names, [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'names in code-point order');
  } finally {
    const values = demoDepartments().map((f) => `('${f.name}', '${f.kana}', '${f.division}', '${f.division_kana}', ${Number(f.position)})`).join(', ');
    dataChanged(`UPDATE departments d SET kana = v.kana, division = v.division, division_kana = v.dk, position = v.position
                 FROM (VALUES ${values}) v(name, kana, division, dk, position) WHERE d.name = v.name`);
    await departmentsWhenChanged((j) => j.items.every((x) => x.position !== null));
  }
});

test('lists: surveys, departments, measures, kpis, projects, rules (JSON and CSV)', async () => {
  const s = await get('/api/v1/surveys');
  assert.deepEqual(s.json.items.map((x) => x.code), ['2022', '2023']);
  assert.equal(s.json.items[1].latest_run.id, stored.run.id);

  const d = await get('/api/v1/departments');
  const wantDept = new Map();
  for (const i of stored.results) for (const dep of i.departments) wantDept.set(dep, (wantDept.get(dep) || 0) + 1);
  assert.equal(d.json.total, wantDept.size);
  for (const x of d.json.items) {
    assert.equal(x.total, wantDept.get(x.name), x.name);
    assert.equal(Object.values(x.counts).reduce((a, b) => a + b, 0), x.total);
  }
  const info = d.json.items.find((x) => x.name === '情報政策課');
  const mine = stored.results.filter((i) => i.departments.includes('情報政策課'));
  const scored = mine.filter((i) => i.score !== null);
  assert.equal(info.counts.stalled, mine.filter((i) => i.category.id === 'stalled').length);
  assert.ok(Math.abs(info.mean_score - scored.reduce((a, i) => a + i.score, 0) / scored.length) < 0.051);

  const m = await get('/api/v1/measures?survey=2023');
  const measures = new Set(stored.results.map((i) => i.measure.code));
  assert.equal(m.json.total, measures.size);
  const mcodes = m.json.items.map((x) => x.code);
  assert.deepEqual(mcodes, [...mcodes].sort(codeCmp));
  assert.equal(m.json.items.reduce((a, x) => a + x.total, 0), 105);

  const k = await get('/api/v1/kpis');
  assert.ok(k.json.total > 0);
  for (const x of k.json.items) {
    if (x.latest.value !== null && x.target.value !== x.baseline.value) {
      const want = (x.latest.value - x.baseline.value) / (x.target.value - x.baseline.value);
      assert.ok(Math.abs(x.attainment - want) < 0.0006, x.code);
    }
  }
  const p = await get('/api/v1/projects');
  assert.ok(p.json.total >= 1 && p.json.items[0].theme);

  for (const path of ['surveys', 'departments', 'measures', 'kpis', 'projects']) {
    const c = await get(`/api/v1/${path}?format=csv`);
    assert.equal(c.status, 200, path);
    assert.match(c.type, /^text\/csv/);
    const json = await get(`/api/v1/${path}`);
    assert.equal(c.text.trim().split('\r\n').length, json.json.items.length + 1, path);
  }

  const rules = await get('/api/v1/rules');
  assert.equal(rules.json.sha256, stored.run.rules.sha256);
  for (const k2 of ['version', 'sha256', 'loaded_at', 'source']) assert.ok(rules.json[k2], k2);
});

test('report (md, html) and health', async () => {
  const md = await get('/api/v1/report?format=md');
  assert.equal(md.status, 200);
  assert.match(md.type, /^text\/markdown/);
  assert.match(md.text, /82/);
  assert.match(md.text, /令和5年度末/);
  const html = await get('/api/v1/report?format=html&survey=2022');
  assert.match(html.type, /^text\/html/);
  isProblem(await get('/api/v1/report?format=pdf'), 400, 'format');
  const h = await get('/api/v1/health');
  assert.equal(h.status, 200);
  assert.equal(h.json.status, 'ok');
  assert.match(h.type, /^application\/json/);
  // The stack's single server: a primary on loopback, no lag (tests/scale has the standby).
  assert.deepEqual(h.json.reads, { host: '127.0.0.1', port: h.json.reads.port, standby: false,
                                   preferred: true, replay_lag_seconds: 0,
                                   newest_run: h.json.reads.newest_run });
  assert.ok(h.json.reads.newest_run >= stored.run.id, 'the worker has seen the newest run');
  assert.match(h.json.reads.port, /^\d+$/);
});

test('metrics: Prometheus text with requests, latency, rules, reloads', async () => {
  await get('/api/v1/summary');
  await get('/api/v1/initiatives?limit=0');
  const r = await get('/api/v1/metrics');
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/plain; version=0\.0\.4/);
  assert.match(r.text, /^hyoka_http_requests_total\{route="\/api\/v1\/summary",status="200"\} [1-9]\d*$/m);
  assert.match(r.text, /^hyoka_http_requests_total\{route="\/api\/v1\/initiatives",status="400"\} [1-9]\d*$/m);
  assert.match(r.text, /^hyoka_http_request_duration_seconds_bucket\{route="\/api\/v1\/summary",le="\+Inf"\} [1-9]\d*$/m);
  assert.match(r.text, new RegExp(`^hyoka_rules_info\\{version="2024\\.1",sha256="${stored.run.rules.sha256}"\\} 1$`, 'm'));
  assert.match(r.text, /^hyoka_reloads_total\{result="ok"\} 0$/m);
  assert.match(r.text, /^hyoka_workers [1-9]\d*$/m);
  assert.match(r.text, /^hyoka_db_reads_info\{host="127\.0\.0\.1",port="\d+",standby="false"\} 1$/m);
  assert.match(r.text, /^hyoka_db_replay_lag_seconds 0\.000$/m);
  assert.match(r.text, /^hyoka_connections_total\{event="accepted"\} [1-9]\d*$/m);
  assert.match(r.text, /^hyoka_connections_total\{event="handed_back"\} \d+$/m);
  assert.match(r.text, /^hyoka_db_errors_total \d+$/m);
});

test('errors: 400 naming the parameter, 404, 405 with Allow, 414', async () => {
  const bad = [
    ['/api/v1/initiatives?limit=0', 'limit'], ['/api/v1/initiatives?limit=501', 'limit'],
    ['/api/v1/initiatives?limit=abc', 'limit'], ['/api/v1/initiatives?limit=5x', 'limit'],
    ['/api/v1/initiatives?limit=%2B5', 'limit'], ['/api/v1/initiatives?offset=-1', 'offset'],
    ['/api/v1/initiatives?sort=score,code', 'sort'], ['/api/v1/initiatives?format=xml', 'format'],
    ['/api/v1/initiatives?category=nope', 'category'], ['/api/v1/initiatives?reason=nope', 'reason'],
    ['/api/v1/initiatives?flag=nope', 'flag'], ['/api/v1/initiatives?colour=red', 'colour'],
    ['/api/v1/summary?surveys=2023', 'surveys'], ['/api/v1/health?x=1', 'x'],
    ['/api/v1/initiatives?limit=5&limit=6', 'limit'], ['/api/v1/initiatives?q=%ZZ', 'q'],
    ['/api/v1/initiatives?q=%FF%FE', 'q'], ['/api/v1/initiatives?q=a%00b', 'q'],
  ];
  for (const [path, param] of bad) isProblem(await get(path), 400, param);
  isProblem(await get('/api/v1/summary?survey=1999'), 404, 'survey');
  isProblem(await get('/api/v1/nowhere'), 404);
  isProblem(await get('/api/v2/summary'), 404);
  const m = await get('/api/v1/summary', { method: 'DELETE' });
  isProblem(m, 405);
  assert.match(m.headers.get('allow'), /GET/);
  const p = await get('/api/v1/evaluations');
  isProblem(p, 405);
  assert.equal(p.headers.get('allow'), 'POST');
  isProblem(await get('/api/v1/initiatives?q=' + 'x'.repeat(9000)), 414); // hyoka-fcgi's limit
  isProblem(await get('/api/v1/initiatives?q=' + 'x'.repeat(20000)), 414); // nginx's (16k)
  assert.equal((await get('/api/v1/.problems/414')).status, 404, 'the 414 body is internal only');
  const head = await fetch(base + '/api/v1/summary', { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('SQL injection strings in every parameter change nothing', async () => {
  const evil = ["' OR '1'='1", "1; DROP TABLE evaluation_runs; --", "\\'; SELECT pg_sleep(5); --",
    '2023\' UNION SELECT 1--', '%', '_', "'); DELETE FROM surveys; --"];
  const params = ['survey', 'category', 'reason', 'flag', 'department', 'measure', 'q', 'sort', 'limit', 'offset', 'format'];
  for (const e of evil) {
    for (const p of params) {
      const r = await get(`/api/v1/initiatives?${p}=${encodeURIComponent(e)}`);
      assert.ok([200, 400, 404].includes(r.status), `${p}=${e}: ${r.status}`);
      if (r.status === 200) assert.equal(r.json.total, 0, `${p}=${e} matched something`);
    }
    for (const path of ['/api/v1/summary?survey=', '/api/v1/kpis?survey=', '/api/v1/report?survey=',
      '/api/v1/departments?survey=', '/api/v1/initiatives/']) {
      const r = await get(path + encodeURIComponent(e));
      assert.ok([400, 404].includes(r.status), `${path}${e}: ${r.status}`);
    }
  }
  const s = await get('/api/v1/summary');
  assert.equal(s.json.total, 105);
  assert.equal((await get('/api/v1/surveys')).json.total, 2);
});

test('POST /evaluations: no token 401, bad token 403, bad body 400, oversized 413, identical 200, new 201', async () => {
  const url = base + '/api/v1/evaluations';
  const tok = { Authorization: 'Bearer ' + process.env.HYOKA_TOKEN };
  let r = await fetch(url, { method: 'POST' });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate') || '', /Bearer/);
  r = await fetch(url, { method: 'POST', headers: { Authorization: 'Bearer wrong' } });
  assert.equal(r.status, 403);
  r = await fetch(url, { method: 'POST', headers: { Authorization: 'Basic eDp5' } });
  assert.equal(r.status, 401);
  // A bad token with a huge body: refused before the body matters (403, not 413).
  r = await fetch(url, { method: 'POST', headers: { Authorization: 'Bearer wrong' }, body: 'x'.repeat(900000) });
  assert.equal(r.status, 403);
  r = await fetch(url, { method: 'POST', headers: tok, body: 'x'.repeat(2 * 1024 * 1024) });
  assert.equal(r.status, 413);
  assert.match(r.headers.get('content-type'), /problem\+json/);
  for (const body of ['{', '[]', '{"survey": 2023}', '{"survey": "2023", "x": 1}', '{"survey":"a","survey":"b"}']) {
    r = await fetch(url, { method: 'POST', headers: tok, body });
    assert.equal(r.status, 400, body);
    assert.match(r.headers.get('content-type'), /problem\+json/);
  }
  r = await fetch(url, { method: 'POST', headers: tok, body: '{"survey": "1999"}' });
  assert.equal(r.status, 404);
  const before = (await get('/api/v1/summary')).json.run.id;
  // The server's rules and the facts of 2022 are those of its stored run: nothing new (SPEC v1.1)
  const count = () => Number(execFileSync('psql', ['-qAtX', '-c', 'SELECT count(*) FROM evaluation_runs'], { encoding: 'utf8' }));
  const runs0 = count();
  r = await fetch(url, { method: 'POST', headers: tok, body: '{"survey": "2022"}' });
  assert.equal(r.status, 200, 'an evaluation identical to the newest run');
  assert.equal(r.headers.get('location'), `/api/v1/summary?survey=2022&run=${stored2022.run.id}`);
  const same = await r.json();
  assert.equal(same.run.id, stored2022.run.id);
  assert.equal(same.run.evaluated_at, stored2022.run.evaluated_at);
  assert.deepEqual(same.categories, stored2022.summary.categories);
  assert.equal(count(), runs0, 'the identical evaluation stored no run');
  // Once a fact changed, the evaluation is stored (the same figures: a stated reason changed)
  touchFacts('2022');
  r = await fetch(url, { method: 'POST', headers: tok, body: '{"survey": "2022"}' });
  assert.equal(r.status, 201);
  const doc = await r.json();
  assert.equal(r.headers.get('location'), `/api/v1/summary?survey=2022&run=${doc.run.id}`);
  assert.equal(doc.survey.code, '2022');
  assert.ok(doc.run.id > before);
  assert.deepEqual(doc.categories, stored2022.summary.categories);
  assert.equal(count(), runs0 + 1);
  const listed = (await get('/api/v1/runs?survey=2022')).json.items;
  assert.deepEqual(listed.slice(0, 2).map((x) => [x.id, x.started_by, x.newest]),
    [[doc.run.id, 'api', true], [stored2022.run.id, 'cli', false]]);
  touchFacts('2023');
  r = await fetch(url, { method: 'POST', headers: tok });
  assert.equal(r.status, 201);
  const latest = (await r.json()).run.id;
  // The cache saw the NOTIFY: the default survey's summary now comes from the new run.
  const after = await get('/api/v1/summary');
  assert.equal(after.json.run.id, latest);
  assert.match(doc.run.evaluated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  assert.equal(after.json.run.evaluated_at.length, doc.run.evaluated_at.length, 'same format as GET');
  assert.equal((await get('/api/v1/summary?survey=2022')).json.run.id, doc.run.id);
});

// SPEC v1.1: primary_reason=, /runs, run= and the KPI figures at and after the survey's as-of date.
test('v1.1 primary_reason=: each reason\'s list has exactly the summary\'s count, each with it first; reason= any', async () => {
  const sum = (await get('/api/v1/summary?survey=2023')).json;
  for (const r of sum.reasons) {
    const l = await get(`/api/v1/initiatives?survey=2023&primary_reason=${r.id}&limit=500`);
    assert.equal(l.status, 200);
    assert.equal(l.json.total, r.count, `primary_reason=${r.id}`);
    const want = stored.results.filter((x) => x.reasons.length && x.reasons[0].id === r.id).map((x) => x.code);
    assert.deepEqual(l.json.items.map((x) => x.code), want, `primary_reason=${r.id}: the stored results with it first`);
    const any = await get(`/api/v1/initiatives?survey=2023&reason=${r.id}&limit=1`);
    assert.equal(any.json.total, stored.results.filter((x) => x.reasons.some((y) => y.id === r.id)).length);
    const csv = await get(`/api/v1/initiatives?survey=2023&primary_reason=${r.id}&format=csv`);
    assert.equal(csv.text.trim().split('\r\n').length - 1, r.count, 'CSV rows');
  }
  assert.ok(sum.reasons.some((r) => r.count !== stored.results.filter((x) => x.reasons.some((y) => y.id === r.id)).length),
    'the demo has a reason counted differently as primary and as any (else this test tells nothing)');
  isProblem(await get('/api/v1/initiatives?primary_reason=nonesuch'), 400, 'primary_reason');
});

test('v1.1 /runs and run=: older runs by id; unknown 404 and another survey\'s 400 naming run', async () => {
  const runs = await get('/api/v1/runs?survey=2023');
  assert.equal(runs.status, 200);
  assert.equal(runs.json.survey.code, '2023');
  const items = runs.json.items;
  assert.ok(items.length >= 1 && items.length === runs.json.total);
  assert.deepEqual(items.map((x) => x.id), [...items.map((x) => x.id)].sort((a, b) => b - a), 'newest first');
  assert.equal(items.filter((x) => x.newest).length, 1);
  assert.equal(items[0].newest, true);
  const first = items.find((x) => x.id === stored.run.id);
  assert.ok(first, `the stored run ${stored.run.id} is listed`);
  assert.deepEqual([first.rules.sha256, first.total, first.started_by, first.survey.code],
    [stored.run.rules.sha256, stored.results.length, 'cli', '2023']);
  assert.equal((await get('/api/v1/runs?survey=2023&limit=1')).json.items.length, 1);
  isProblem(await get('/api/v1/runs?survey=1999'), 404, 'survey');
  isProblem(await get('/api/v1/runs?limit=0'), 400, 'limit');
  // run= on every view of a run
  for (const path of ['/api/v1/summary', '/api/v1/initiatives', '/api/v1/initiatives/1-2-01', '/api/v1/departments', '/api/v1/measures']) {
    const r = await get(`${path}?run=${stored2022.run.id}`);
    assert.equal(r.status, 200, `${path}?run=${stored2022.run.id}: ${r.text.slice(0, 200)}`);
    assert.equal(r.json.run.id, stored2022.run.id, path);
    assert.equal(r.json.survey.code ?? r.json.survey, '2022', path);
    isProblem(await get(`${path}?survey=2023&run=${stored2022.run.id}`), 400, 'run');
    isProblem(await get(`${path}?run=999999`), 404, 'run');
    for (const bad of ['0', '-1', 'x', '1.5', '99999999999999999999']) isProblem(await get(`${path}?run=${bad}`), 400, 'run');
  }
  const rep = await get(`/api/v1/report?run=${stored2022.run.id}&format=md`);
  assert.equal(rep.status, 200);
  isProblem(await get(`/api/v1/report?survey=2023&run=${stored2022.run.id}`), 400, 'run');
  const csv = await get(`/api/v1/initiatives?run=${stored2022.run.id}&format=csv`);
  assert.equal(csv.text.trim().split('\r\n').length - 1, stored2022.results.length);
});

test('summary: reasons_total and, per category, the previous survey\'s count and the change (the page computes none)', async () => {
  const s = (await get('/api/v1/summary?survey=2023')).json;
  assert.equal(s.reasons_total, s.reasons.reduce((a, r) => a + r.count, 0));
  assert.equal(s.reasons_total, stored.results.filter((x) => x.reasons.length > 0).length);
  const prev = (await get('/api/v1/summary?survey=2022')).json;
  assert.equal(prev.previous, null, '2022 is the first survey');
  assert.equal(s.previous.survey.code, '2022');
  assert.equal(s.previous.run.id, prev.run.id);
  s.categories.forEach((c, i) => {
    const b = prev.categories.find((x) => x.id === c.id);
    assert.deepEqual(s.previous.categories[i], { id: c.id, count: b.count, percent: b.percent, change: c.count - b.count });
  });
});

test('v1.1 /kpis: the value at the survey\'s as-of date and the newest after it, each dated, and the attainment at as-of', async () => {
  const r = await get('/api/v1/kpis?survey=2023');
  assert.equal(r.status, 200);
  assert.equal(r.json.as_of, '2024-03-31');
  const k = r.json.items.find((x) => x.title === 'マイナンバーカード保有率');
  assert.ok(k, 'the demo has マイナンバーカード保有率');
  // issue 11: the page showed 75.2 %, the report 79.1 %: both are figures of this KPI, now both dated
  assert.deepEqual(k.at_as_of, { value: 75.2, date: '2024-03-31' });
  assert.equal(k.after_as_of.value, 79.1);
  assert.ok(k.after_as_of.date > '2024-03-31', k.after_as_of.date);
  assert.deepEqual(k.latest, k.at_as_of, 'latest (v1.0) is at_as_of');
  const want = (k.at_as_of.value - k.baseline.value) / (k.target.value - k.baseline.value);
  assert.ok(Math.abs(k.attainment - want) < 1e-9, `${k.attainment} vs ${want}`);
  const csv = await get('/api/v1/kpis?survey=2023&format=csv');
  const [head] = csv.text.replace(/^\ufeff/, '').split('\r\n');
  for (const col of ['at_as_of.value', 'at_as_of.date', 'after_as_of.value', 'after_as_of.date', 'attainment']) assert.ok(head.split(',').includes(col), `CSV column ${col}: ${head}`);
});

// Read-your-writes: once POST /evaluations has answered, every worker answers from the new run.
// Workers hear of a run by NOTIFY, which may reach a worker after the client's next request; the
// worker that published the run tells the others through memory they share (fcgi/db.c). And a
// run is readable only once published after its COMMIT (sql/010): before that, a worker could see
// the run's row without its results' partition and answer "initiative ... is not in the
// evaluation". 12 POSTs, each followed at once by 8 concurrent GETs that spread over the workers.
test('read-your-writes: right after POST /evaluations, every GET answers from the new run', async () => {
  const tok = { Authorization: 'Bearer ' + process.env.HYOKA_TOKEN };
  for (let i = 0; i < 12; i++) {
    const survey = i % 2 ? '2022' : '2023';
    touchFacts(survey); // else the evaluation is identical to the newest run and stores nothing
    const r = await fetch(base + '/api/v1/evaluations', { method: 'POST', headers: tok, body: JSON.stringify({ survey }) });
    assert.equal(r.status, 201, `POST ${i}: ${r.status}`);
    const id = (await r.json()).run.id;
    const paths = [];
    for (let k = 0; k < 4; k++) paths.push(`/api/v1/summary?survey=${survey}`, `/api/v1/initiatives/1-2-01?survey=${survey}`);
    const answers = await Promise.all(paths.map((p) => get(p)));
    answers.forEach((a, k) => {
      assert.equal(a.status, 200, `POST ${i} (run ${id}), then ${paths[k]}: ${a.status} ${a.text.slice(0, 200)}`);
      const seen = a.json.run ? a.json.run.id : a.json.evaluation?.run?.id;
      if (seen !== undefined) assert.equal(seen, id, `POST ${i} stored run ${id}; ${paths[k]} answered from run ${seen}`);
    });
  }
});

// Facts for people (issue 12, sql/016): fact_display beside SPEC's facts object, each fact with
// the label, unit and text of the run's stored fact schema, so an old run keeps its labels.
test('initiative detail: fact_display gives each fact its label, unit and text; an old run keeps the labels it was evaluated with', async () => {
  const item = stored.results.find((i) => i.facts.budget_planned !== null && i.facts.actual_progress !== null
    && i.facts.days_past_due !== null && i.facts.reported_reason !== null);
  assert.ok(item, 'the demo has an initiative with a budget, a progress, a due date and a reported reason');
  const path = `/api/v1/initiatives/${encodeURIComponent(item.code)}?survey=2023&run=${stored.run.id}`;
  const r = await get(path);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.facts, item.facts, 'SPEC\'s facts (name → value) unchanged');
  const list = r.json.fact_display;
  assert.ok(Array.isArray(list));
  assert.deepEqual(list.map((f) => f.name).sort(), Object.keys(item.facts).sort(), 'one entry per fact');
  for (const f of list) {
    assert.deepEqual(Object.keys(f), ['name', 'label', 'unit', 'display', 'value', 'text'], f.name);
    assert.deepEqual(f.value, item.facts[f.name], `${f.name}: value = facts`);
    assert.equal(typeof f.text, 'string');
    assert.notEqual(f.label, f.name, `${f.name} is labelled (sql/016)`);
  }
  assert.equal(list[0].name, 'reported_reason', 'the department\'s reported reason first');
  assert.equal(list[0].text, item.facts.reported_reason);
  const by = Object.fromEntries(list.map((f) => [f.name, f]));
  const grouped = (x) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(x);
  const half = (x, d) => { const v = Number((x * 10 ** d).toPrecision(15)); return Math.sign(v) * Math.round(Math.abs(v)) / 10 ** d; };
  assert.deepEqual([by.actual_progress.label, by.actual_progress.unit, by.actual_progress.display], ['進捗率', '%', 'percent']);
  assert.equal(by.actual_progress.text, `${grouped(half(item.facts.actual_progress * 100, 1))} %`);
  assert.deepEqual([by.budget_planned.label, by.budget_planned.unit], ['予算', '円']);
  assert.equal(by.budget_planned.text, `${grouped(half(item.facts.budget_planned, 0))} 円`);
  const d = item.facts.days_past_due;
  assert.equal(by.days_past_due.text, d < 0 ? `期限まで ${grouped(-d)} 日` : d > 0 ? `期限を ${grouped(d)} 日超過` : '期限当日');
  assert.equal(by.plan_decided.text, item.facts.plan_decided === null ? '値なし' : item.facts.plan_decided ? 'はい' : 'いいえ');
  const cats = (await get('/api/v1/summary?survey=2023')).json.categories;
  if (item.facts.previous_category !== null) {
    assert.equal(by.previous_category.text, cats.find((c) => c.id === item.facts.previous_category).label, 'a category by its label');
  }
  // The explanation names facts by their labels too.
  assert.ok(r.json.explanation.some((s) => s.text.includes(by.cost_benefit.label) || s.text.includes(by.plan_decided.label)),
    'explanations use the labels');

  // A label edited in fact_labels: a new evaluation stores it; the old run still shows its own.
  const psql = (sql) => execFileSync('psql', ['-qAtX', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  psql("UPDATE fact_labels SET label = '当初予算', unit = '千円' WHERE name = 'budget_planned'");
  try {
    const out = execFileSync(`${process.env.HYOKA_BUILD}/cli/hyoka`, ['--config', `${dir}/hyoka.cfg`, 'evaluate', '--survey', '2023',
      '--rules', `${dir}/rules.cfg`, '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const fresh = JSON.parse(out).run.id;
    assert.ok(fresh > stored.run.id, 'new labels: a new run is stored (its fact schema differs)');
    const now = (await get(`/api/v1/initiatives/${encodeURIComponent(item.code)}?survey=2023&run=${fresh}`)).json.fact_display
      .find((f) => f.name === 'budget_planned');
    assert.deepEqual([now.label, now.unit, now.text], ['当初予算', '千円', `${grouped(half(item.facts.budget_planned, 0))} 千円`]);
    const old = (await get(path)).json.fact_display.find((f) => f.name === 'budget_planned');
    assert.deepEqual([old.label, old.unit], ['予算', '円'], 'the old run keeps what it was evaluated with');
  } finally {
    psql("UPDATE fact_labels SET label = '予算', unit = '円' WHERE name = 'budget_planned'");
  }
});

// The planner's what-if (issue 15): GET /api/v1/rules/sweep, reads only, SPEC's sweep JSON, bounded.
test('rules/sweep: value=V gives the file\'s value then V, SPEC\'s sweep shape, the changes between them; no token', async () => {
  const r = await get('/api/v1/rules/sweep?survey=2023&threshold=on_track_ratio&value=0.7');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['changes', 'points', 'survey', 'threshold']);
  assert.equal(r.json.threshold, 'on_track_ratio');
  assert.equal(r.json.survey.code, '2023');
  assert.deepEqual(r.json.points.map((p) => p.value), [0.95, 0.7]);
  const at = (p) => p.categories.map((c) => `${c.id}=${c.count}`).join(' ');
  assert.equal(at(r.json.points[0]), 'on_track=82 delayed=9 stalled=14');
  assert.equal(r.json.points[0].reasons.map((c) => c.count).join('/'), '5/5/4');
  const moved = r.json.points[1].categories[0].count - 82;
  assert.ok(moved > 0, at(r.json.points[1]));
  // every change is at 0.7, and the count of changes adds up with the counts
  assert.equal(r.json.changes.length, moved);
  for (const c of r.json.changes) assert.deepEqual(c.flips.map((f) => [f.value, f.to]), [[0.7, 'on_track']]);
  assert.match(r.headers.get('cache-control') || '', /no-store/);
  // the value the file has: one point, no change
  const same = await get('/api/v1/rules/sweep?survey=2023&threshold=on_track_ratio&value=0.95');
  assert.deepEqual(same.json.points.map((p) => p.value), [0.95]);
  assert.deepEqual(same.json.changes, []);
});

test('rules/sweep: from/to/step gives the points of hyoka sweep --set thresholds.NAME=FROM:TO:STEP', async () => {
  const r = await get('/api/v1/rules/sweep?survey=2023&threshold=on_track_ratio&from=0.5&to=1&step=0.05');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.points.map((p) => p.value), [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1]);
  assert.equal(r.json.points[9].categories.map((c) => c.count).join('/'), '82/9/14');
  for (const p of r.json.points) assert.equal(p.total, 105);
});

test('rules/sweep: bad or missing parameters are 400 naming them; GET /rules lists the thresholds', async () => {
  const q = (s) => get(`/api/v1/rules/sweep?${s}`);
  isProblem(await q('value=1'), 400, 'threshold');
  isProblem(await q('threshold=nope&value=1'), 400, 'threshold');
  isProblem(await q('threshold='), 400, 'threshold');
  isProblem(await q('threshold=on_track_ratio'), 400, 'from');
  isProblem(await q('threshold=on_track_ratio&value=abc'), 400, 'value');
  isProblem(await q('threshold=on_track_ratio&value=1e999'), 400, 'value');
  isProblem(await q('threshold=on_track_ratio&value=nan'), 400, 'value');
  isProblem(await q('threshold=on_track_ratio&value=1&step=1'), 400, 'step');
  isProblem(await q('threshold=on_track_ratio&from=0&to=1'), 400, 'step');
  isProblem(await q('threshold=on_track_ratio&from=0&to=1&step=0'), 400, 'step');
  isProblem(await q('threshold=on_track_ratio&from=1&to=0&step=0.1'), 400, 'to');
  isProblem(await q('threshold=on_track_ratio&from=0&to=1&step=0.001'), 400, 'step');
  isProblem(await q('threshold=on_track_ratio&value=1&survey=1999'), 404, 'survey');
  isProblem(await q('threshold=on_track_ratio&value=1&bogus=1'), 400, 'bogus');
  const rules = await get('/api/v1/rules');
  assert.deepEqual(rules.json.thresholds, [{ name: 'on_track_ratio', value: 0.95 }, { name: 'progressing_ratio', value: 0.5 },
    { name: 'cost_benefit_min', value: 1 }, { name: 'planning_months', value: 12 }]);
});

test('initiative detail: counterfactuals, one per fact read and better category, each value flipping as the sweep says', async () => {
  const delayed = (await get('/api/v1/initiatives?survey=2023&category=delayed&limit=100')).json.items;
  let checked = 0;
  for (const it of delayed) {
    const d = (await get(`/api/v1/initiatives/${encodeURIComponent(it.code)}?survey=2023`)).json;
    assert.ok(Array.isArray(d.counterfactuals), it.code);
    // delayed: one better category (on_track), for each fact the rules read
    assert.ok(d.counterfactuals.length > 0 && d.counterfactuals.every((c) => c.category === 'on_track'), it.code);
    for (const c of d.counterfactuals.filter((x) => x.found && x.fact === 'actual_progress')) {
      // progress_ratio >= on_track_ratio: the progress that flips it is also where on_track_ratio
      // = actual / planned would flip it, so a sweep at that ratio must move this initiative
      assert.equal(c.direction, 'at_least');
      assert.ok(Number(c.before.exact) < Number(c.to_exact) && c.before.category === 'delayed' && c.after.category === 'on_track');
      assert.match(c.text, /^進捗率が .* → .*『予定どおり順調』$/);
      checked++;
    }
  }
  assert.ok(checked > 0, 'no delayed initiative had a progress counterfactual');
  const first = (await get('/api/v1/initiatives?survey=2023&category=on_track&limit=1')).json.items[0];
  assert.deepEqual((await get(`/api/v1/initiatives/${encodeURIComponent(first.code)}?survey=2023`)).json.counterfactuals, []);
});
