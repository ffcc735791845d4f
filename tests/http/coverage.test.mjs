// coverage.test.mjs - GET /api/v1/rules/coverage through the real stack (started by run.sh): its
// counts are the summary's for the same run (categories, flags; reasons' "primary"), it names the
// entries no initiative matched with the file:line of the run's own rule text, `hyoka coverage`
// prints the same document, and survey=/run=/format= behave as on the other run views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';

const base = process.env.HYOKA_URL;
const dir = process.env.HYOKA_STACK_DIR;
assert.ok(base && dir && process.env.HYOKA_BUILD, 'HYOKA_URL, HYOKA_STACK_DIR and HYOKA_BUILD (run.sh)');
const hyoka = `${process.env.HYOKA_BUILD}/cli/hyoka`;

async function get(path) {
  const res = await fetch(base + path);
  const text = await res.text();
  const json = (res.headers.get('content-type') || '').includes('json') ? JSON.parse(text) : null;
  return { status: res.status, type: res.headers.get('content-type'), text, json };
}

function cli(...args) {
  return spawnSync(hyoka, ['--config', `${dir}/hyoka.cfg`, ...args], { encoding: 'utf8' });
}

function evaluate(rules) {
  const out = execFileSync(hyoka, ['--config', `${dir}/hyoka.cfg`, 'evaluate', '--survey', '2023', '--rules', rules,
    '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out).run.id;
}

/** The coverage of a run against its summary: the same counts, entry by entry. */
async function sameAsSummary(query) {
  const cov = await get(`/api/v1/rules/coverage?${query}`);
  assert.equal(cov.status, 200, cov.text);
  assert.match(cov.type, /^application\/json/);
  const sum = (await get(`/api/v1/summary?${query}`)).json;
  assert.equal(cov.json.run.id, sum.run.id);
  assert.equal(cov.json.survey.code, sum.survey.code);
  assert.equal(cov.json.total, sum.total);
  const of = (kind) => cov.json.items.filter((i) => i.kind === kind);
  assert.deepEqual(of('category').map((i) => [i.id, i.count]), sum.categories.map((c) => [c.id, c.count]));
  assert.deepEqual(of('reason').map((i) => [i.id, i.primary]), sum.reasons.map((c) => [c.id, c.count]));
  assert.deepEqual(of('flag').map((i) => [i.id, i.count]), sum.flags.map((c) => [c.id, c.count]));
  for (const i of of('reason')) assert.ok(i.count >= i.primary, `${i.id}: matched >= primary`);
  assert.deepEqual(cov.json.never_matched.map((i) => i.id), cov.json.items.filter((i) => i.count === 0).map((i) => i.id));
  const matched = cov.json.items.filter((i) => i.count > 0).length;
  assert.equal(cov.json.matched, matched);
  assert.equal(cov.json.entries, cov.json.items.length);
  assert.equal(cov.json.percent, Math.round(1000 * matched / cov.json.items.length) / 10);
  return cov.json;
}

test('the current run: the summary\'s counts, file:line into the run\'s rule file', async () => {
  const cov = await sameAsSummary('survey=2023');
  const lines = readFileSync(`${dir}/rules.cfg`, 'utf8').split('\n');
  for (const i of cov.items) {
    // a rule set is stored once per sha256, under the name of the file it first came from: the
    // stack evaluated config/rules/default.cfg, whose copy rules.cfg is
    assert.ok(['default.cfg', 'rules.cfg'].includes(i.file), i.file);
    // the line of the entry's `when` (the catch-all: of its entry), its id on it or just above
    const at = lines[i.line - 1];
    assert.ok(at.includes('when =') || (i.kind === 'category' && at.includes(`id = "${i.id}"`)), `${i.id}: ${at}`);
    const above = lines.slice(0, i.line).reverse().find((l) => l.includes('id = "'));
    assert.ok(above.includes(`id = "${i.id}"`), `${i.id} at rules.cfg:${i.line}`);
  }
});

test('a flag no initiative matches is named with file:line; the old run keeps its coverage', async () => {
  const before = (await get('/api/v1/rules/coverage?survey=2023')).json;
  const text = readFileSync(`${dir}/rules.cfg`, 'utf8');
  const marker = 'flags = (\n';
  assert.ok(text.includes(marker));
  const extra = '  { id = "far_overdue"; label = "10年超過"; when = "days_past_due > 3650"; },\n';
  const edited = text.replace(marker, marker + extra);
  writeFileSync(`${dir}/coverage-rules.cfg`, edited);
  const line = edited.split('\n').findIndex((l) => l.includes('far_overdue')) + 1;
  let fresh;
  try {
    fresh = evaluate(`${dir}/coverage-rules.cfg`);
    const cov = await sameAsSummary(`survey=2023&run=${fresh}`);
    const never = cov.never_matched.find((i) => i.id === 'far_overdue');
    assert.deepEqual(never, { kind: 'flag', id: 'far_overdue', label: '10年超過', file: 'coverage-rules.cfg', line });
    assert.ok(cov.matched < cov.entries);
    // the run before still answers with its own rules
    const old = (await get(`/api/v1/rules/coverage?run=${before.run.id}`)).json;
    assert.deepEqual(old.items, before.items);
    // `hyoka coverage` prints the same document; --fail-under 100 fails, 0 passes
    const out = cli('coverage', '--survey', '2023', '--run', String(fresh), '--format', 'json');
    assert.equal(out.status, 0, out.stderr);
    const doc = JSON.parse(out.stdout);
    assert.deepEqual([doc.items, doc.never_matched, doc.percent, doc.run.id], [cov.items, cov.never_matched, cov.percent, fresh]);
    const table = cli('coverage', '--run', String(fresh), '--fail-under', '100');
    assert.equal(table.status, 1, table.stderr);
    assert.match(table.stdout, new RegExp(`^coverage-rules\\.cfg:${line}: flag 'far_overdue' never matched$`, 'm'));
    assert.match(table.stderr, /under --fail-under 100/);
    assert.equal(cli('coverage', '--run', String(fresh), '--fail-under', '0').status, 0);
    // CSV through the tree's CSV writer: a header and one row per item, text cells quoted
    const csv = await get(`/api/v1/rules/coverage?run=${fresh}&format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.type, /^text\/csv/);
    const rows = csv.text.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    assert.equal(rows[0], 'kind,id,label,file,line,count,primary');
    assert.equal(rows.length, cov.items.length + 1);
    assert.ok(rows.includes(`"flag","far_overdue","10年超過","coverage-rules.cfg",${line},0,`), rows.join('\n'));
    const onTrack = edited.split('\n').findIndex((l) => l.includes('progress_ratio >= thresholds.on_track_ratio')) + 1;
    assert.equal(cov.items[0].line, onTrack);
    assert.equal(rows[1], `"category","on_track","予定どおり順調","coverage-rules.cfg",${onTrack},${cov.items[0].count},`);
  } finally {
    evaluate(`${dir}/rules.cfg`); // the default rules' run is the current one again
  }
});

test('survey= and run= as on the other run views', async () => {
  const runs = (await get('/api/v1/runs?survey=2022')).json.items;
  const cov = await get(`/api/v1/rules/coverage?survey=2022`);
  assert.equal(cov.json.run.id, runs[0].id);
  const r400 = await get('/api/v1/rules/coverage?run=abc');
  assert.equal(r400.status, 400);
  assert.equal(r400.json.parameter, 'run');
  assert.equal((await get('/api/v1/rules/coverage?run=999999999')).status, 404);
  assert.equal((await get('/api/v1/rules/coverage?survey=nope')).status, 404);
  const other = await get(`/api/v1/rules/coverage?survey=2022&run=${(await get('/api/v1/summary?survey=2023')).json.run.id}`);
  assert.equal(other.status, 400);
  assert.equal(other.json.parameter, 'run');
  assert.equal((await get('/api/v1/rules/coverage?format=xml')).status, 400);
  assert.equal((await get('/api/v1/rules/coverage?x=1')).status, 400);
});
