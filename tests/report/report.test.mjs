// report.test.mjs - the generated report of the demo data against the published seed report
// (tests/report/seed-fy2023.md, Izumo City FY2023) and against the API and the database of the same
// stack: sections in the seed's order, the seed's text where the demo carries it, the figures the
// API and the database give. Run by tests/http/run.sh on its stack (HYOKA_URL, HYOKA_STACK_DIR,
// HYOKA_BUILD, PG* set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const base = process.env.HYOKA_URL;
const dir = process.env.HYOKA_STACK_DIR;
assert.ok(base && dir, 'HYOKA_URL and HYOKA_STACK_DIR must be set (tests/http/run.sh does it)');
const seed = readFileSync(fileURLToPath(new URL('./seed-fy2023.md', import.meta.url)), 'utf8');

async function get(path) {
  const res = await fetch(base + path);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}
async function json(path) {
  const r = await get(path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return JSON.parse(r.text);
}
// One query as the read-only role, rows of '|'-separated cells.
function sql(query) {
  return execFileSync('psql', ['-qAtX', '-U', 'hyoka_web', '-d', 'hyoka', '-c', query],
    { encoding: 'utf8' }).trim().split('\n').filter((l) => l !== '').map((l) => l.split('|'));
}
// The seed writes half-width parentheses and numbers in brackets; the report full-width ones.
const fw = (s) => s.replace(/\(/g, '（').replace(/\) ?/g, '）');

// ---- the seed, parsed ---------------------------------------------------------------------------
const seedLines = seed.split('\n').map((l) => l.trim()).filter((l) => l !== '');
const seedSections = seedLines.filter((l) => /^[1-7] \S/.test(l)).map((l) => l.split(' ').slice(0, 2).join(' '));
function seedBlock(from, to) { // the lines after section `from` up to section `to`
  const i = seedLines.findIndex((l) => l.startsWith(from));
  const j = to ? seedLines.findIndex((l) => l.startsWith(to)) : seedLines.length;
  return seedLines.slice(i + 1, j);
}
const seedThemes = seedBlock('4 ', '5 ').filter((l) => /^\(\d+\) /.test(l)).map(fw);
const tableRows = (lines) => lines.filter((l) => l.startsWith('|') && !/^\|-/.test(l))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
const paragraphs = (lines) => lines.filter((l) => !l.startsWith('|') && !/^\(\d+\) /.test(l) && !/^[①-⑳]/.test(l));

// ---- the report, parsed -------------------------------------------------------------------------
function parseMd(md) {
  const lines = md.split('\n');
  const h2 = [], h3 = {}, body = {};
  let cur = null;
  for (const l of lines) {
    if (l.startsWith('## ')) { cur = l.slice(3); h2.push(cur); h3[cur] = []; body[cur] = []; }
    else if (l.startsWith('### ') && cur) { h3[cur].push(l.slice(4)); body[cur].push(l); }
    else if (cur && l.trim() !== '' && l !== '---') body[cur].push(l.replace(/\\(.)/g, '$1'));
  }
  return { title: lines[0].replace(/^# /, ''), h2, h3, body, lines };
}

const mdRes = await get('/api/v1/report?format=md&survey=2023');
const md = parseMd(mdRes.text);
const summary = await json('/api/v1/summary?survey=2023');

test('the report is served as Markdown and the CLI prints the same document', () => {
  assert.equal(mdRes.status, 200, mdRes.text);
  assert.match(mdRes.type, /^text\/markdown/);
  const cli = execFileSync(`${process.env.HYOKA_BUILD}/cli/hyoka`,
    ['--config', `${dir}/hyoka.cfg`, 'report', '--survey', '2023'], { encoding: 'utf8' });
  assert.equal(cli.replace(/\n---\n\n.*\n$/, ''), mdRes.text.replace(/\n---\n\n.*\n$/, ''));
});

test('section headings and their order are the seed\'s (then the unnumbered appendix)', () => {
  assert.deepEqual(seedSections, ['1 調査対象', '2 調査時点', '3 調査結果', '4 主な取組と成果',
    '5 課題がある取組とその対応', '6 ロードマップに新たに追加する事業', '7 今後の取組の方向性']);
  assert.deepEqual(md.h2.slice(0, 7), seedSections);
  assert.deepEqual(md.h2.slice(7), ['別表 課題がある取組の一覧']);
  assert.equal(seedThemes.length, 3);
  assert.deepEqual(md.h3['4 主な取組と成果'], seedThemes);
});

test('title, preamble, 1 調査対象 and 2 調査時点 read as the seed\'s', () => {
  assert.equal(md.title, seedLines[0]);
  const pre = md.lines.slice(1, md.lines.findIndex((l) => l.startsWith('## '))).join('\n');
  for (const s of ['出雲市デジタルファースト推進計画（令和3年3月策定）', 'ロードマップ（令和4年3月策定）',
    'その取組について、以下のとおり進捗状況を調査しましたので報告します。']) assert.ok(pre.includes(s), s);
  assert.equal(md.body['1 調査対象'][0], seedLines.find((l) => l.startsWith('1 ')).slice(7));
  assert.equal(md.body['2 調査時点'][0], seedLines.find((l) => l.startsWith('2 ')).slice(7));
  assert.equal(summary.survey.as_of, '2024-03-31');
});

test('3 調査結果: the seed\'s counts and percents, equal to the API\'s summary', () => {
  const rows = tableRows(md.body['3 調査結果']);
  const seedRows = tableRows(seedBlock('3 ', '4 '));
  assert.deepEqual(rows, seedRows.map((r) => r.map(fw)));
  summary.categories.forEach((c, i) => {
    assert.equal(rows[i + 1][0], `（${i + 1}）${c.label}`);
    assert.equal(+rows[i + 1][1], c.count);
    assert.equal(rows[i + 1][2], `${c.percent.toFixed(1)}%`);
  });
  assert.deepEqual(summary.categories.map((c) => c.count), [82, 9, 14]);
  assert.equal(+rows.at(-1)[1], summary.total);
});

test('4 主な取組と成果: the themes\' paragraphs are the seed\'s, the projects table too', () => {
  const seedParas = paragraphs(seedBlock('4 ', '5 '));
  const kept = seedParas.filter((p) => md.body['4 主な取組と成果'].includes(p));
  // every narrative paragraph of the seed (not its figure lines, which the report computes)
  assert.deepEqual(kept, seedParas.filter((p) => /。$/.test(p)));
  assert.ok(kept.length >= 5, kept.join('\n'));
  assert.deepEqual(tableRows(md.body['4 主な取組と成果']), tableRows(seedBlock('4 ', '5 ')));
});

test('4: KPI figures quote the latest value labelled as such, and the as-of value the rules used', () => {
  const text = md.body['4 主な取組と成果'].join('\n');
  // the seed's figures
  assert.ok(text.includes('令和6年10月 79.1%（最新値。基準：令和4年4月 41.4%）'), text);
  assert.ok(text.includes('令和6年9月 7室（最新値'), text);
  assert.ok(text.includes('令和6年9月 6人（最新値'), text);
  assert.ok(text.includes('6,841時間/年'), text);
  // every KPI the report names, against the database: the newest value after the as-of date and
  // the newest on or before it, with their months
  const kpis = sql(`SELECT k.title, k.unit, trim_scale(a.value), to_char(a.date, 'YYYY-MM'),
      coalesce(trim_scale(l.value)::text, ''), coalesce(to_char(l.date, 'YYYY-MM'), ''),
      round((a.value - k.baseline_value) / (k.target_value - k.baseline_value) * 100, 1)
    FROM kpis k
    JOIN LATERAL (SELECT value, date FROM kpi_values v WHERE v.kpi_id = k.id AND date <= '2024-03-31' ORDER BY date DESC LIMIT 1) a ON true
    LEFT JOIN LATERAL (SELECT value, date FROM kpi_values v WHERE v.kpi_id = k.id AND date > '2024-03-31' ORDER BY date DESC LIMIT 1) l ON true
    ORDER BY k.code`);
  const month = (ym) => { const [y, m] = ym.split('-').map(Number); return `令和${y - 2018}年${m}月`; };
  const num = (v) => Number(v).toLocaleString('en-US', { maximumFractionDigits: 10 });
  for (const [, unit, atValue, atYm, laterValue, laterYm, pct] of kpis) {
    if (laterValue) {
      assert.ok(text.includes(`${month(laterYm)} ${num(laterValue)}${unit}（最新値`), `${laterValue} ${laterYm}\n${text}`);
      assert.ok(text.includes(`調査時点 ${month(atYm)} ${num(atValue)}${unit}`), `${atValue} ${atYm}`);
    } else {
      assert.ok(text.includes(`${month(atYm)} ${num(atValue)}${unit}（調査時点の値`), `${atValue} ${atYm}`);
    }
    assert.ok(text.includes(`達成率 ${pct}%`), pct);
  }
  assert.equal(kpis.length, 7);
});

test('4: the attainment is the one the rules used (the facts view\'s kpi_attainment)', () => {
  // 1-2-01 has the one KPI マイナンバーカード保有率: its fact is that KPI's attainment
  const [[fact]] = sql(`SELECT round(kpi_attainment * 100, 1) FROM evaluation_facts f JOIN surveys s ON s.id = f.survey_id WHERE s.code = '2023' AND f.initiative_code = '1-2-01'`);
  const text = md.body['4 主な取組と成果'].join('\n');
  assert.ok(text.includes(`調査時点 令和6年3月 75.2%、目標 90%（令和8年3月）、達成率 ${fact}%`), text);
});

test('5 課題がある取組とその対応: the seed\'s table, equal to the API\'s primary-reason counts', () => {
  const rows = tableRows(md.body['5 課題がある取組とその対応']);
  assert.deepEqual(rows, tableRows(seedBlock('5 ', '6 ')).map((r) => r.map(fw)));
  summary.reasons.forEach((r, i) => {
    assert.equal(+rows[i + 1][1], r.count);
    assert.equal(rows[i + 1][2], r.response);
  });
  assert.deepEqual(summary.reasons.map((r) => r.count), [5, 5, 4]);
});

test('6 and 7: the roadmap additions and the outlook are the seed\'s', () => {
  assert.deepEqual(tableRows(md.body['6 ロードマップに新たに追加する事業']), tableRows(seedBlock('6 ', '7 ')));
  assert.deepEqual(md.body['7 今後の取組の方向性'], seedBlock('7 '));
});

test('別表: each reason\'s initiatives, in numeric code order, equal to the API\'s list', async () => {
  const body = md.body['別表 課題がある取組の一覧'];
  const groups = [];
  for (const l of body) {
    if (l.startsWith('### ')) groups.push({ heading: l.slice(4), codes: [] });
    else if (/^\| \d/.test(l)) groups.at(-1).codes.push(l.split('|')[1].trim());
  }
  const codeCmp = (a, b) => {
    const sa = a.split('-').map(Number), sb = b.split('-').map(Number);
    for (let i = 0; i < Math.min(sa.length, sb.length); i++) if (sa[i] !== sb[i]) return sa[i] - sb[i];
    return sa.length - sb.length;
  };
  const list = await json('/api/v1/initiatives?survey=2023&category=stalled&limit=500');
  summary.reasons.forEach((r, i) => {
    const g = groups[i];
    assert.equal(g.heading, `（${String.fromCharCode(65 + i)}）${r.label}`);
    assert.deepEqual(g.codes, [...g.codes].sort(codeCmp), 'numeric segment order');
    const primary = list.items.filter((it) => it.reasons.length && it.reasons[0].id === r.id).map((it) => it.code);
    assert.deepEqual([...g.codes].sort(), primary.sort());
  });
  const a = groups[0].codes;
  assert.ok(a.indexOf('1-3-01') < a.indexOf('1-14-01'), a.join(' '));
});

test('full-width punctuation: no half-width parenthesis anywhere in the report', () => {
  assert.doesNotMatch(mdRes.text, /[()]/);
});

test('HTML: the same sections, A4 print CSS, no half-width parenthesis in the text', async () => {
  const html = await get('/api/v1/report?format=html&survey=2023');
  assert.equal(html.status, 200);
  assert.match(html.type, /^text\/html/);
  assert.match(html.text, /@page \{ size: A4;/);
  const h2 = [...html.text.matchAll(/<h2>(.*?)<\/h2>/g)].map((m) => m[1]);
  assert.deepEqual(h2, md.h2);
  const h3 = [...html.text.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => m[1]);
  assert.deepEqual(h3.slice(0, 3), seedThemes);
  const body = html.text.slice(html.text.indexOf('<body>')).replace(/<[^>]*>/g, '');
  assert.doesNotMatch(body, /[()]/);
  assert.ok(body.includes('令和6年10月 79.1%（最新値。基準：令和4年4月 41.4%）'));
});
