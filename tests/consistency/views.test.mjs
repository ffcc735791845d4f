// views.test.mjs - for every survey that has a run: each figure of the summary equals the total
// of the list with the matching filter, the rows of the same list as CSV, the report's tables, the
// CLI's evaluation and report; the KPI figures of /kpis, its CSV and the report equal those the
// database gives for the survey's as-of date (SPEC, SPEC "Additions in v1.1", issue 11).
// Each test names its view pair; a failure lists every figure that differs, with both values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  DATASET, STACK, api, get, qs, listTotal, listAll, csvRows, splitList, cli, codeCmp, percentOf, warekiMonth, amount,
  noMismatch, surveysWithRuns, countBy, groupCount, mdTables, rowFor, parseCsv, kpisAt, pct, shows, summaryDiff, stripMark,
} from './lib.mjs';

const surveys = await surveysWithRuns();

/** Everything of one survey that several checks read, fetched once. */
function survey(code) {
  let p = null;
  return () => (p ??= (async () => {
    const summary = await api('summary', { survey: code });
    const items = await listAll({ survey: code });
    const csv = await csvRows('initiatives', { survey: code });
    assert.equal(csv.status, 200, `GET ${csv.url} answered ${csv.status}: ${csv.detail}`);
    const report = await get(`/api/v1/report?${qs({ survey: code, format: 'md' })}`);
    assert.equal(report.status, 200, `GET /api/v1/report?survey=${code}&format=md answered ${report.status}`);
    return { summary, items, csv: csv.rows, report: report.text, tables: mdTables(report.text) };
  })());
}

const firstReason = (it) => (it.reasons && it.reasons.length ? it.reasons[0].id : null);
const ids = (list) => (list || []).map((x) => (typeof x === 'string' ? x : x.id));

/** agrees(bad, label, params, want, wantText) → the CSV rows: checks that the list total and the
 *  CSV rows of GET /initiatives with these filters are `want`, pushing one line per view that
 *  differs (naming the request and both values). */
async function agrees(bad, label, params, want, wantText) {
  const l = await listTotal(params);
  if (l.total !== want) bad.push(`${label}: ${wantText} ${want}, GET ${l.url} total ${l.total ?? `— answered ${l.status}: ${l.detail}`}`);
  const v = await csvRows('initiatives', params);
  if (!v.rows) bad.push(`${label}: ${wantText} ${want}, GET ${v.url} answered ${v.status}: ${v.detail}`);
  else if (v.rows.length !== want) bad.push(`${label}: ${wantText} ${want}, CSV rows of ${v.url} ${v.rows.length}`);
  return v.rows || [];
}

for (const s of surveys) {
  const S = s.code;
  const data = survey(S);
  let evaluated = null;
  /** `hyoka evaluate --dry-run --survey S --format json`, run once for the checks that read it. */
  const evaluateJson = () => (evaluated ??= cli(['evaluate', '--dry-run', '--survey', S, '--format', 'json']));
  const name = (what) => `${DATASET} survey ${S}: ${what}`;

  test(name('total: summary = unfiltered list total = CSV rows = sum of the category counts'), async () => {
    const { summary, items, csv } = await data();
    const bad = [];
    const list = await listTotal({ survey: S });
    if (list.total !== summary.total) bad.push(`GET ${list.url} total ${list.total} ≠ summary total ${summary.total}`);
    if (items.length !== summary.total) bad.push(`list items over all pages ${items.length} ≠ summary total ${summary.total}`);
    if (csv.length !== summary.total) bad.push(`CSV rows ${csv.length} ≠ summary total ${summary.total}`);
    const sum = summary.categories.reduce((a, c) => a + c.count, 0);
    if (sum !== summary.total) bad.push(`sum of summary category counts ${sum} ≠ summary total ${summary.total}`);
    noMismatch(bad, 'totals');
  });

  test(name('CSV of the list = JSON list, item by item and in the same order (category, score, reasons, flags)'), async () => {
    const { items, csv } = await data();
    const bad = [];
    const n = Math.max(items.length, csv.length);
    for (let i = 0; i < n; i++) {
      const it = items[i], row = csv[i];
      if (!it || !row) { bad.push(`position ${i + 1}: JSON ${it ? it.code : '(none)'}, CSV ${row ? row.code : '(none)'}`); continue; }
      const j = { code: it.code, category: it.category.id, score: it.score, reasons: ids(it.reasons).join(';'), flags: ids(it.flags).join(';') };
      const c = { code: row.code, category: row.category, score: row.score === '' ? null : Number(row.score), reasons: row.reasons, flags: row.flags };
      for (const k of Object.keys(j)) if (j[k] !== c[k]) bad.push(`position ${i + 1} (${it.code}) ${k}: JSON ${JSON.stringify(j[k])}, CSV ${JSON.stringify(c[k])}`);
      if (bad.length > 20) break;
    }
    noMismatch(bad, 'list JSON vs CSV');
  });

  test(name('categories: summary count = list total (category=ID) = CSV rows (category=ID, format=csv) = items of the unfiltered list'), async () => {
    const { summary, items } = await data();
    const bad = [];
    const byCat = countBy(items, (it) => [it.category.id]);
    for (const c of summary.categories) {
      const rows = await agrees(bad, `category ${c.id}`, { survey: S, category: c.id }, c.count, 'summary count');
      const other = rows.filter((r) => r.category !== c.id);
      if (other.length) bad.push(`category ${c.id}: CSV (category=${c.id}) has rows of other categories: ${other.slice(0, 3).map((r) => `${r.code}=${r.category}`).join(', ')}`);
      if ((byCat.get(c.id) || 0) !== c.count) bad.push(`category ${c.id}: summary count ${c.count}, unfiltered list has ${byCat.get(c.id) || 0}`);
    }
    noMismatch(bad, 'category counts');
  });

  test(name('categories: summary percent = count / total × 100, rounded half away from zero'), async () => {
    const { summary } = await data();
    const bad = summary.categories.filter((c) => c.percent !== percentOf(c.count, summary.total))
      .map((c) => `category ${c.id}: summary percent ${c.percent}, ${c.count}/${summary.total} gives ${percentOf(c.count, summary.total)}`);
    noMismatch(bad, 'category percents');
  });

  test(name('primary reasons: summary count = items of the unfiltered list whose first reason is ID'), async () => {
    const { summary, items } = await data();
    const byFirst = countBy(items, (it) => (firstReason(it) ? [firstReason(it)] : []));
    const bad = summary.reasons.filter((r) => (byFirst.get(r.id) || 0) !== r.count)
      .map((r) => `reason ${r.id}: summary count ${r.count}, unfiltered list has ${byFirst.get(r.id) || 0} with it first`);
    noMismatch(bad, 'primary reason counts');
  });

  test(name('primary reasons (v1.1): summary count = list total (primary_reason=ID) = CSV rows (primary_reason=ID), each with ID first'), async () => {
    const { summary } = await data();
    const bad = [];
    for (const r of summary.reasons) {
      const rows = await agrees(bad, `reason ${r.id}`, { survey: S, primary_reason: r.id }, r.count, 'summary count');
      const other = rows.filter((row) => splitList(row.reasons)[0] !== r.id);
      if (other.length) bad.push(`reason ${r.id}: CSV (primary_reason=${r.id}) has rows whose first reason is another: ${other.slice(0, 3).map((x) => `${x.code}=${x.reasons}`).join(', ')}`);
    }
    noMismatch(bad, 'summary vs list and CSV with primary_reason=');
  });

  test(name('any reason: list total (reason=ID) = CSV rows (reason=ID) = unfiltered items having ID among their reasons'), async () => {
    const { summary, items } = await data();
    const byAny = countBy(items, (it) => ids(it.reasons));
    const bad = [];
    for (const r of summary.reasons) {
      await agrees(bad, `reason ${r.id}`, { survey: S, reason: r.id }, byAny.get(r.id) || 0, 'unfiltered items having it');
    }
    noMismatch(bad, 'any-reason filter');
  });

  test(name('flags: summary count = list total (flag=ID) = CSV rows (flag=ID) = unfiltered items having the flag'), async () => {
    const { summary, items } = await data();
    const byFlag = countBy(items, (it) => ids(it.flags));
    const bad = [];
    for (const f of summary.flags) {
      await agrees(bad, `flag ${f.id}`, { survey: S, flag: f.id }, f.count, 'summary count');
      if ((byFlag.get(f.id) || 0) !== f.count) bad.push(`flag ${f.id}: summary count ${f.count}, unfiltered list has ${byFlag.get(f.id) || 0}`);
    }
    noMismatch(bad, 'flag counts');
  });

  test(name('departments: /departments total and per-category counts = list totals (department=, &category=) = CSV rows = unfiltered list'), async () => {
    const { summary, items } = await data();
    const rows = (await api('departments', { survey: S })).items;
    const byDept = countBy(items, (it) => it.departments);
    const byDeptCat = countBy(items, (it) => it.departments.map((d) => `${d}\u0000${it.category.id}`));
    const bad = [];
    const names = new Set(rows.map((r) => r.name));
    for (const d of byDept.keys()) if (!names.has(d)) bad.push(`department ${d}: in the list (${byDept.get(d)} initiatives) but not in /departments`);
    await Promise.all(rows.map(async (row) => {
      const d = row.name;
      if ((byDept.get(d) || 0) !== row.total) bad.push(`department ${d}: /departments total ${row.total}, unfiltered list has ${byDept.get(d) || 0}`);
      await agrees(bad, `department ${d}`, { survey: S, department: d }, row.total, '/departments total');
      for (const c of summary.categories) {
        const want = groupCount(row, c.id);
        const lc = await listTotal({ survey: S, department: d, category: c.id });
        if (lc.total !== want) bad.push(`department ${d}, category ${c.id}: /departments count ${want}, GET ${lc.url} total ${lc.total ?? `${lc.status} ${lc.detail}`}`);
        const have = byDeptCat.get(`${d}\u0000${c.id}`) || 0;
        if (have !== want) bad.push(`department ${d}, category ${c.id}: /departments count ${want}, unfiltered list has ${have}`);
      }
    }));
    noMismatch(bad.sort(), 'department counts');
  });

  test(name('measures: /measures total and per-category counts = list total (measure=) = unfiltered list'), async () => {
    const { summary, items } = await data();
    const rows = (await api('measures', { survey: S })).items;
    const byMeasure = countBy(items, (it) => [it.measure.code]);
    const byMeasureCat = countBy(items, (it) => [`${it.measure.code}\u0000${it.category.id}`]);
    const bad = [];
    await Promise.all(rows.map(async (row) => {
      if ((byMeasure.get(row.code) || 0) !== row.total) bad.push(`measure ${row.code}: /measures total ${row.total}, unfiltered list has ${byMeasure.get(row.code) || 0}`);
      const l = await listTotal({ survey: S, measure: row.code });
      if (l.total !== row.total) bad.push(`measure ${row.code}: /measures total ${row.total}, GET ${l.url} total ${l.total ?? `${l.status} ${l.detail}`}`);
      for (const c of summary.categories) {
        const have = byMeasureCat.get(`${row.code}\u0000${c.id}`) || 0;
        if (have !== groupCount(row, c.id)) bad.push(`measure ${row.code}, category ${c.id}: /measures count ${groupCount(row, c.id)}, unfiltered list has ${have}`);
      }
    }));
    noMismatch(bad.sort(), 'measure counts');
  });

  test(name('detail: GET /initiatives/CODE = its list item, and its history entry of each survey = that survey\'s list item (one initiative per category and per primary reason)'), async () => {
    const { items } = await data();
    const pick = new Map();
    for (const it of items) {
      for (const key of [`c:${it.category.id}`, `r:${firstReason(it)}`]) if (!pick.has(key)) pick.set(key, it);
    }
    const lists = new Map();
    for (const o of surveys) lists.set(o.code, new Map((o.code === S ? items : await listAll({ survey: o.code })).map((it) => [it.code, it])));
    const bad = [];
    for (const it of new Set(pick.values())) {
      const d = await api(`initiatives/${encodeURIComponent(it.code)}`, { survey: S });
      const a = { category: it.category.id, score: it.score, reasons: ids(it.reasons).join(';'), flags: ids(it.flags).join(';'), recommendations: it.recommendations.join('|') };
      const b = { category: d.category.id, score: d.score, reasons: ids(d.reasons).join(';'), flags: ids(d.flags).join(';'), recommendations: (d.recommendations || []).join('|') };
      for (const k of Object.keys(a)) if (a[k] !== b[k]) bad.push(`${it.code} ${k}: list ${JSON.stringify(a[k])}, detail ${JSON.stringify(b[k])}`);
      for (const [code, list] of lists) {
        const there = list.get(it.code);
        const h = (d.history || []).find((x) => x.survey.code === code);
        if (!there && h) bad.push(`${it.code}: history has survey ${code}, whose list does not have it`);
        else if (there && !h) bad.push(`${it.code}: survey ${code}'s list has it (${there.category.id}), its history does not`);
        else if (there && (h.category.id !== there.category.id || h.score !== there.score)) bad.push(`${it.code} history ${code}: ${h.category.id} ${h.score}, survey ${code}'s list ${there.category.id} ${there.score}`);
      }
    }
    noMismatch(bad, 'detail vs list');
  });

  // ---- the report (GET /report?format=md; `hyoka report` must print the same) ---------------
  test(name('report: the 調査結果 table (count, percent, 合計) = summary'), async () => {
    const { summary, tables } = await data();
    const bad = [];
    for (const c of summary.categories) {
      const hit = rowFor(tables, c.label);
      if (!hit) { bad.push(`category ${c.id}: no report table row labelled '${c.label}'`); continue; }
      if (Number(hit.row[1].replace(/,/g, '')) !== c.count) bad.push(`category ${c.id}: summary count ${c.count}, report '${hit.row[1]}'`);
      if (hit.row[2] !== `${c.percent.toFixed(1)}%`) bad.push(`category ${c.id}: summary percent ${c.percent}, report '${hit.row[2]}'`);
    }
    const catTable = summary.categories.length ? (rowFor(tables, summary.categories[0].label) || {}).table : null;
    const totalRow = catTable && catTable.rows.find((r) => r[0] === '合計');
    if (!totalRow) bad.push('no 合計 row in the report\'s category table');
    else if (Number(totalRow[1].replace(/,/g, '')) !== summary.total) bad.push(`total: summary ${summary.total}, report 合計 '${totalRow[1]}'`);
    noMismatch(bad, 'report categories');
  });

  test(name('report: the reasons table (課題・進捗していない理由) = summary primary reason counts'), async () => {
    const { summary, tables } = await data();
    const bad = [];
    const isReasonTable = (t) => t.header[0].includes('理由');
    for (const r of summary.reasons) {
      const hit = rowFor(tables, r.label, isReasonTable);
      if (!hit) { bad.push(`reason ${r.id}: no row labelled '${r.label}' in the report's reasons table`); continue; }
      if (Number(hit.row[1].replace(/,/g, '')) !== r.count) bad.push(`reason ${r.id}: summary count ${r.count}, report '${hit.row[1]}'`);
    }
    noMismatch(bad, 'report reasons');
  });

  /** The report's list of problem initiatives for one reason: the codes of the table under the
   *  heading '(A) LABEL' (none when the report leaves the reason out). */
  const problemCodes = (tables, label) => {
    const t = tables.find((x) => stripMark(x.heading) === label && !x.header[0].includes('理由'));
    return t ? t.rows.map((r) => r[0]) : [];
  };

  test(name('report: each reason\'s list of problem initiatives = the initiatives whose primary reason it is (as many as counted)'), async () => {
    const { summary, items, tables } = await data();
    const bad = [];
    for (const r of summary.reasons) {
      const want = items.filter((it) => firstReason(it) === r.id).map((it) => it.code).sort(codeCmp);
      const have = problemCodes(tables, r.label);
      const missing = want.filter((c) => !have.includes(c)), extra = have.filter((c) => !want.includes(c));
      if (have.length !== r.count) bad.push(`reason ${r.id}: summary count ${r.count}, report lists ${have.length}`);
      if (missing.length) bad.push(`reason ${r.id}: report does not list ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}`);
      if (extra.length) bad.push(`reason ${r.id}: report lists ${extra.slice(0, 5).join(', ')} whose primary reason is another`);
    }
    noMismatch(bad, 'report problem lists');
  });

  test(name('report: problem lists in numeric code order, as the API and the dashboard (1-3-01 before 1-14-01)'), async () => {
    const { summary, tables } = await data();
    const bad = [];
    for (const r of summary.reasons) {
      const have = problemCodes(tables, r.label);
      const sorted = [...have].sort(codeCmp);
      const i = have.findIndex((c, k) => c !== sorted[k]);
      if (i >= 0) bad.push(`reason ${r.id}: report order ${have.slice(Math.max(0, i - 1), i + 3).join(', ')}…, numeric order ${sorted.slice(Math.max(0, i - 1), i + 3).join(', ')}…`);
    }
    noMismatch(bad, 'report order');
  });

  test(name('CLI: `hyoka report --survey S --format md` = GET /report?survey=S&format=md'), async () => {
    const { report } = await data();
    const r = cli(['report', '--survey', S, '--format', 'md']);
    assert.equal(r.status, 0, `hyoka report exit ${r.status}: ${r.stderr}`);
    if (r.stdout !== report) {
      const a = r.stdout.split('\n'), b = report.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      assert.fail(`CLI and API reports differ from line ${i + 1}:\n  CLI: ${a[i]}\n  API: ${b[i]}`);
    }
  });

  test(name('CLI: `hyoka evaluate --dry-run --format json` summary = API summary (same facts, same rules)'), async () => {
    const { summary } = await data();
    const r = evaluateJson();
    assert.equal(r.status, 0, `hyoka evaluate exit ${r.status}: ${r.stderr}`);
    const bad = summaryDiff('CLI summary', JSON.parse(r.stdout).summary, summary, 'API summary');
    noMismatch(bad, 'CLI summary vs API');
  });

  test(name('CLI: `hyoka evaluate --dry-run --format json` results and `--format csv` rows = API list items'), async () => {
    const { items } = await data();
    const bad = [];
    const api = new Map(items.map((it) => [it.code, { category: it.category.id, score: it.score, reasons: ids(it.reasons).join(';'), flags: ids(it.flags).join(';') }]));
    const j = evaluateJson();
    assert.equal(j.status, 0, `hyoka evaluate --format json exit ${j.status}: ${j.stderr}`);
    const c = cli(['evaluate', '--dry-run', '--survey', S, '--format', 'csv']);
    assert.equal(c.status, 0, `hyoka evaluate --format csv exit ${c.status}: ${c.stderr}`);
    const fromJson = new Map(JSON.parse(j.stdout).results.map((it) => [it.code, { category: it.category.id, score: it.score, reasons: ids(it.reasons).join(';'), flags: ids(it.flags).join(';') }]));
    const fromCsv = new Map(parseCsv(c.stdout).map((row) => [row.code, { category: row.category, score: row.score === '' ? null : Number(row.score), reasons: row.reasons, flags: row.flags }]));
    for (const [what, m] of [['CLI JSON', fromJson], ['CLI CSV', fromCsv]]) {
      if (m.size !== api.size) bad.push(`${what} has ${m.size} initiatives, the API list ${api.size}`);
      for (const [code, a] of api) {
        const b = m.get(code);
        if (!b) { bad.push(`${code}: in the API list, not in the ${what}`); continue; }
        for (const k of Object.keys(a)) if (a[k] !== b[k]) bad.push(`${code} ${k}: API ${JSON.stringify(a[k])}, ${what} ${JSON.stringify(b[k])}`);
        if (bad.length > 20) break;
      }
    }
    noMismatch(bad, 'CLI results vs API list');
  });

  /** The rule set of the survey's run, as the server serves it (/rules), written to a file the
   *  CLI can read; fails when it is not the run's (sha256). */
  const runRules = async () => {
    const { summary } = await data();
    const rules = await api('rules');
    assert.equal(rules.sha256, summary.run.rules.sha256, `the server's rules (${rules.sha256}) are not those of survey ${S}'s run (${summary.run.rules.sha256})`);
    const file = path.join(STACK, `rules-${summary.run.rules.sha256.slice(0, 12)}.cfg`);
    fs.writeFileSync(file, rules.source);
    assert.equal(createHash('sha256').update(fs.readFileSync(file)).digest('hex'), rules.sha256, '/rules source does not hash to its sha256');
    return { file, source: rules.source };
  };

  test(name('CLI: `hyoka diff RULES RULES --format json` (the run\'s rules twice): before = after = API summary, nothing changed'), async () => {
    const { summary } = await data();
    const { file } = await runRules();
    const r = cli(['diff', '--survey', S, '--format', 'json', file, file]);
    assert.equal(r.status, 0, `hyoka diff exit ${r.status}: ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    const bad = [...summaryDiff('diff before', out.before, summary, 'API summary'), ...summaryDiff('diff after', out.after, summary, 'API summary')];
    if ((out.changed || []).length) bad.push(`diff of a rule set with itself lists ${out.changed.length} changed initiatives, e.g. ${out.changed[0].code}`);
    noMismatch(bad, 'hyoka diff vs API summary');
  });

  test(name('CLI (v1.1): `hyoka sweep` at a threshold\'s own value counts categories and primary reasons as the API summary'), async () => {
    const { summary } = await data();
    const { file, source } = await runRules();
    const block = /thresholds\s*=\s*\{([^}]*)\}/.exec(source);
    const m = block && /([a-z][a-z0-9_]*)\s*=\s*(-?[0-9.]+)\s*;/.exec(block[1]);
    assert.ok(m, 'the run\'s rules have no numeric threshold to sweep');
    const [, tname, v] = m;
    const r = cli(['sweep', '--survey', S, '--format', 'json', file, '--set', `thresholds.${tname}=${v}:${v}:1`]);
    assert.equal(r.status, 0, `hyoka sweep --set thresholds.${tname}=${v}:${v}:1 exit ${r.status}: ${r.stderr.trim()}`);
    const out = JSON.parse(r.stdout);
    const p = (out.points || [])[0];
    assert.ok(p, `hyoka sweep printed no point: ${r.stdout.slice(0, 200)}`);
    const bad = summaryDiff(`sweep point ${tname}=${v}`, { total: p.total, categories: p.categories, reasons: p.reasons, flags: [] },
      { ...summary, flags: [], categories: summary.categories.map((c) => ({ id: c.id, count: c.count })) }, 'API summary');
    noMismatch(bad, 'hyoka sweep vs API summary');
  });

  // ---- KPIs at the survey's as-of date (issue 11 "KPIs, one rule, both figures") -----------
  const kpisExpected = () => kpisAt(S);

  /** hasPoint(obj, p): somewhere in obj is {value: p.value, date: p.date}. */
  const hasPoint = (o, p) => o !== null && typeof o === 'object'
    && ((o.value === p.value && o.date === p.date) || Object.values(o).some((v) => hasPoint(v, p)));

  test(name('KPIs: GET /kpis gives each KPI\'s value at as-of and the newest later value, each with its date, and the attainment at as-of (database)'), async () => {
    const want = kpisExpected();
    const body = await api('kpis', { survey: S });
    const items = Array.isArray(body) ? body : body.items;
    const bad = [];
    for (const k of want) {
      const it = items.find((x) => x.code === k.code);
      if (!it) { bad.push(`${k.code}: not in /kpis`); continue; }
      if (k.asOf && !hasPoint(it, k.asOf)) bad.push(`${k.code}: value at as-of ${k.asOf.value} (${k.asOf.date}) not in /kpis: ${JSON.stringify(it)}`);
      if (k.later && !hasPoint(it, k.later)) bad.push(`${k.code}: newest value after as-of ${k.later.value} (${k.later.date}) not in /kpis: ${JSON.stringify(it)}`);
      const a = typeof it.attainment === 'number' ? it.attainment : null;
      if ((a === null) !== (k.attainment === null) || (a !== null && pct(a) !== pct(k.attainment))) bad.push(`${k.code}: attainment at as-of ${k.attainment === null ? 'null' : pct(k.attainment)}, /kpis attainment ${a === null ? 'null' : pct(a)}`);
    }
    noMismatch(bad, '/kpis vs database');
  });

  test(name('KPIs: GET /kpis?format=csv gives the same value at as-of, later value and attainment'), async () => {
    const want = kpisExpected();
    const v = await csvRows('kpis', { survey: S });
    assert.ok(v.rows, `GET ${v.url} answered ${v.status}: ${v.detail}`);
    const bad = [];
    // a point is a pair of columns X.value / X.date (or X_value / X_date) holding it
    const rowHas = (row, p) => Object.keys(row).some((col) => {
      const m = /^(.*)[._]date$/.exec(col);
      if (!m || row[col] !== p.date) return false;
      const vcol = [`${m[1]}.value`, `${m[1]}_value`, m[1]].find((c) => c in row);
      return vcol !== undefined && Number(row[vcol]) === p.value;
    });
    for (const k of want) {
      const row = v.rows.find((r) => r.code === k.code);
      if (!row) { bad.push(`${k.code}: no CSV row`); continue; }
      if (k.asOf && !rowHas(row, k.asOf)) bad.push(`${k.code}: value at as-of ${k.asOf.value} (${k.asOf.date}) not in the CSV row ${JSON.stringify(row)}`);
      if (k.later && !rowHas(row, k.later)) bad.push(`${k.code}: newest value after as-of ${k.later.value} (${k.later.date}) not in the CSV row ${JSON.stringify(row)}`);
      const a = row.attainment === undefined || row.attainment === '' ? null : Number(row.attainment);
      if ((a === null) !== (k.attainment === null) || (a !== null && pct(a) !== pct(k.attainment))) bad.push(`${k.code}: attainment at as-of ${k.attainment === null ? 'null' : pct(k.attainment)}, CSV '${row.attainment}'`);
    }
    noMismatch(bad, '/kpis CSV vs database');
  });

  test(name('KPIs: the report shows each KPI\'s value at as-of and the newest later value with their months, and the attainment at as-of'), async () => {
    const want = kpisExpected();
    const { report } = await data();
    const bad = [];
    // A KPI's figures stand in the paragraph that first quotes one of its values with its month
    // and the paragraph after it (the report may name the KPI in its own words, not its title).
    const paras = report.split(/\n\s*\n/);
    for (const k of want) {
      const points = [k.later, k.asOf].filter(Boolean);
      if (!points.length) continue;
      const i = paras.findIndex((p) => points.some((pt) => shows(p, pt, k.unit)));
      if (i < 0) { bad.push(`${k.code} (${k.title}): none of ${points.map((pt) => `${amount(pt.value, k.unit)} (${warekiMonth(pt.date)})`).join(', ')} in the report`); continue; }
      const block = paras.slice(i, i + 2).join('\n\n');
      if (k.asOf && !shows(block, k.asOf, k.unit)) bad.push(`${k.code}: value at as-of ${amount(k.asOf.value, k.unit)} (${warekiMonth(k.asOf.date)}) not in the report: ${JSON.stringify(block.trim())}`);
      if (k.later && !shows(block, k.later, k.unit)) bad.push(`${k.code}: newest value ${amount(k.later.value, k.unit)} (${warekiMonth(k.later.date)}) not in the report: ${JSON.stringify(block.trim())}`);
      if (k.attainment !== null && !block.includes(pct(k.attainment))) bad.push(`${k.code}: attainment at as-of ${pct(k.attainment)} not in the report: ${JSON.stringify(block.trim())}`);
    }
    noMismatch(bad, 'report KPIs vs database');
  });
}
