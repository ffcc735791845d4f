// lib.mjs - what the consistency checks share: HTTP and CSV access to the stack that run.sh
// started, the CLI and the database of that stack, and the formats a person reads (numeric code
// order, half-away rounding, 和暦 months, amounts). Everything here reads; nothing here decides
// whether a view is right.
//
// Environment (set by run.sh): HYOKA_URL, HYOKA_STACK_DIR, HYOKA_BUILD, HYOKA_DATASET (demo or
// generated, only used in test names), PGHOST/PGPORT/PGUSER/PGDATABASE (the stack's superuser).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse as parseCsvText } from 'csv-parse/sync';
import { launchChromium } from '../lib/chromium.mjs';

export const BASE = (process.env.HYOKA_URL || '').replace(/\/$/, '');
export const STACK = process.env.HYOKA_STACK_DIR || '';
export const BUILD = process.env.HYOKA_BUILD || '';
export const DATASET = process.env.HYOKA_DATASET || 'data';
assert.ok(BASE && STACK && BUILD, 'HYOKA_URL, HYOKA_STACK_DIR and HYOKA_BUILD must be set (tests/consistency/run.sh does it)');

/** get(path) → {status, type, text, json}; path starts with /api/v1/. */
export async function get(path, init) {
  const res = await fetch(BASE + path, init);
  const text = await res.text();
  let json = null;
  if ((res.headers.get('content-type') || '').includes('json')) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  return { status: res.status, type: res.headers.get('content-type') || '', text, json, headers: res.headers };
}

/** qs({survey: '2023', category: 'x'}) → 'survey=2023&category=x' (empty values left out). */
export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  return q.toString();
}

/** api(path, params) → the JSON of a 200 answer; anything else fails naming the request. */
export async function api(path, params = {}) {
  const url = `/api/v1/${path}${Object.keys(params).length ? `?${qs(params)}` : ''}`;
  const r = await get(url);
  assert.equal(r.status, 200, `GET ${url} answered ${r.status}: ${r.text.slice(0, 300)}`);
  assert.ok(r.json, `GET ${url} is not JSON (${r.type})`);
  return r.json;
}

/** listTotal(params) → {url, status, total, detail}: the `total` of GET /initiatives with those
 *  filters (limit=1), or the status and problem detail when the API refuses them. */
export async function listTotal(params) {
  const url = `/api/v1/initiatives?${qs({ ...params, limit: 1 })}`;
  const r = await get(url);
  if (r.status !== 200 || !r.json) return { url, status: r.status, total: null, detail: (r.json && r.json.detail) || r.text.slice(0, 200) };
  return { url, status: 200, total: r.json.total, detail: null };
}

/** listAll(params) → every item of GET /initiatives with those filters, page by page (500). */
export async function listAll(params) {
  const items = [];
  for (;;) {
    const body = await api('initiatives', { ...params, limit: 500, offset: items.length });
    items.push(...body.items);
    if (body.items.length === 0 || items.length >= body.total) {
      assert.equal(items.length, body.total, `GET /initiatives?${qs(params)}: ${items.length} items over all pages, total says ${body.total}`);
      return items;
    }
  }
}

/** parseCsv(text) → [{column: cell}] of a CSV with a header row (BOM allowed). */
export function parseCsv(text) {
  return parseCsvText(text, { bom: true, columns: true, skip_empty_lines: false, relax_column_count: false });
}

/** csvRows(params) → {url, status, rows, detail}: the rows of GET /initiatives?…&format=csv. */
export async function csvRows(path, params) {
  const url = `/api/v1/${path}?${qs({ ...params, format: 'csv' })}`;
  const r = await get(url);
  if (r.status !== 200) return { url, status: r.status, rows: null, detail: (r.json && r.json.detail) || r.text.slice(0, 200) };
  assert.match(r.type, /^text\/csv/, `GET ${url} is ${r.type}, not text/csv`);
  return { url, status: 200, rows: parseCsv(r.text), detail: null };
}

/** splitList('a;b') → ['a', 'b']; '' → []. A CSV list cell as SPEC writes it (joined with ;). */
export const splitList = (cell) => (cell === undefined || cell === null || cell === '' ? [] : String(cell).split(';'));

/** cli(args) → {status, stdout, stderr} of the stack's `hyoka --config DIR/hyoka.cfg ARGS`. */
export function cli(args) {
  try {
    const stdout = execFileSync(`${BUILD}/cli/hyoka`, ['--config', `${STACK}/hyoka.cfg`, ...args],
      { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    return { status: e.status ?? -1, stdout: e.stdout || '', stderr: e.stderr || String(e) };
  }
}

/** sql(query, ...params) → rows as arrays of strings (psql as the stack's superuser; the
 *  parameters are bound with psql's :'v' variables, never spliced into the text). */
export function sql(query, ...params) {
  const vars = params.flatMap((p, i) => ['-v', `p${i + 1}=${p}`]);
  const out = execFileSync('psql', ['-qAtX', '-F', '\t', '-v', 'ON_ERROR_STOP=1', ...vars],
    { encoding: 'utf8', input: query, maxBuffer: 64 << 20, timeout: 30000 });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** Numeric-segment order of codes, as SPEC fixes it (1-2 before 1-10). */
export function codeCmp(a, b) {
  const sa = a.match(/\d+|\D+/g) || [], sb = b.match(/\d+|\D+/g) || [];
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i], y = sb[i];
    if (/^\d/.test(x) && /^\d/.test(y)) { if (BigInt(x) !== BigInt(y)) return BigInt(x) < BigInt(y) ? -1 : 1; }
    else if (x !== y) return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** round1(x): half away from zero to one decimal, on the value first taken to 15 significant
 *  digits (SPEC "Precise semantics"). */
export function round1(x) {
  const v = Number(x.toPrecision(15));
  return Math.sign(v) * Math.round(Math.abs(v) * 10 + 1e-9) / 10;
}
/** percentOf(count, total) → the summary's percent as SPEC defines it (0.0 when total is 0). */
export const percentOf = (count, total) => (total > 0 ? round1((count / total) * 100) : 0);

const ERA_YEAR = new Intl.DateTimeFormat('ja-JP-u-ca-japanese', { era: 'long', year: 'numeric', timeZone: 'UTC' });
/** warekiMonth('2024-10-31') → '令和6年10月' (year 1 of an era as 元). */
export function warekiMonth(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  const era = ERA_YEAR.formatToParts(date).map((p) => (p.type === 'year' && p.value === '1' ? '元' : p.value)).join('');
  return `${era}${m}月`;
}
const AMOUNT = new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 2 });
/** amount(6841, '時間/年') → '6,841時間/年': a KPI value as the page and the report write it. */
export const amount = (v, unit) => `${AMOUNT.format(v)}${unit || ''}`;

/** The count a list shows ('1,234件中 1〜50件を表示', '該当する取組はありません' → 0), or null. */
export function countInText(text) {
  if (/該当する取組はありません/.test(text)) return 0;
  const m = /([\d,]+)\s*件中/.exec(text);
  return m ? Number(m[1].replace(/,/g, '')) : null;
}
/** A number as a table cell shows it ('1,234' → 1234), or null. */
export const cellNumber = (text) => {
  const m = /-?[\d,]+(\.\d+)?/.exec(String(text));
  return m ? Number(m[0].replace(/,/g, '')) : null;
};

/** mismatches(list, what): fails with every entry of list (strings), one per line. */
export function noMismatch(list, what) {
  assert.ok(list.length === 0, `${what}: ${list.length} mismatch(es)\n  ${list.join('\n  ')}`);
}

/** surveysWithRuns() → the surveys of /surveys that have a run (the ones a user can look at). */
export async function surveysWithRuns() {
  const body = await api('surveys');
  const items = Array.isArray(body) ? body : body.items;
  const out = [];
  for (const s of items) {
    const r = await get(`/api/v1/summary?${qs({ survey: s.code })}`);
    if (r.status === 200) out.push(s);
  }
  assert.ok(out.length > 0, 'no survey has a run: run.sh evaluates every survey before the checks');
  return out;
}

/** Groups by department from list items (an initiative counts for each of its departments). */
export function countBy(items, keysOf) {
  const m = new Map();
  for (const it of items) for (const k of keysOf(it)) m.set(k, (m.get(k) || 0) + 1);
  return m;
}

/** groupCount(row, id): a /departments or /measures row's count for a category, whether the row
 *  has counts: {id: n} or categories: [{id, count}]. */
export const groupCount = (row, id) => (Array.isArray(row.categories)
  ? ((row.categories.find((x) => x.id === id) || {}).count ?? 0)
  : ((row.counts || {})[id] ?? 0));

/** summaryDiff(what, got, want, wantName) → mismatch lines between two summaries: total, and the count
 *  (and percent, where want has one) of each category, reason and flag of want. */
export function summaryDiff(what, got, want, wantName = 'want') {
  const bad = [];
  if (got.total !== want.total) bad.push(`${what}: total ${got.total}, ${wantName} ${want.total}`);
  for (const k of ['categories', 'reasons', 'flags']) {
    for (const w of want[k] || []) {
      const g = (got[k] || []).find((x) => x.id === w.id);
      if (!g) bad.push(`${what}: ${k} ${w.id} missing (${wantName} has it)`);
      else if (g.count !== w.count || (w.percent !== undefined && g.percent !== w.percent)) bad.push(`${what}: ${k} ${w.id} ${g.count}${w.percent !== undefined ? ` (${g.percent}%)` : ''}, ${wantName} ${w.count}${w.percent !== undefined ? ` (${w.percent}%)` : ''}`);
    }
  }
  return bad;
}

// ---- reports ------------------------------------------------------------------------------
/** mdTables(md) → [{heading, rows: [[cell…]]}]: each Markdown table with the nearest heading
 *  above it (header and separator rows left out). */
export function mdTables(md) {
  const lines = md.split('\n');
  const tables = [];
  let heading = '', cur = null;
  for (const line of lines) {
    if (/^#+\s/.test(line)) { heading = line.replace(/^#+\s*/, '').trim(); cur = null; continue; }
    if (/^\s*\|/.test(line)) {
      const cells = line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
      if (!cur) { cur = { heading, header: cells, rows: [] }; tables.push(cur); continue; }
      if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
      cur.rows.push(cells);
    } else if (line.trim() !== '') {
      cur = null;
    }
  }
  return tables;
}
/** stripMark('(1) 予定どおり順調') → '予定どおり順調': a label without the mark a table or heading puts
 *  before it, in ASCII or full-width parentheses ((1), （A）). */
export const stripMark = (s) => s.replace(/^[(（][0-9A-Z０-９Ａ-Ｚ]+[)）]\s*/, '');
/** rowFor(tables, label) → the first table row whose first cell is the label, optionally after a
 *  mark such as '(1) ' or '（A）' (stripMark). */
export function rowFor(tables, label, pred = () => true) {
  for (const t of tables) {
    if (!pred(t)) continue;
    for (const r of t.rows) if (stripMark(r[0]) === label) return { table: t, row: r };
  }
  return null;
}

// ---- KPIs ---------------------------------------------------------------------------------
/** kpisAt(surveyCode) → [{code, title, unit, asOf, later, attainment}] from the database: asOf =
 *  the latest observation dated on or before the survey's as-of date, later = the newest one
 *  after it ({value, date} or null), attainment = (asOf − baseline) / (target − baseline) as SPEC
 *  "Facts" defines it (null without asOf or with target = baseline). */
export function kpisAt(surveyCode) {
  return sql(`
    SELECT k.code, k.title, coalesce(k.unit, ''), a.value, a.date, l.value, l.date,
           CASE WHEN a.value IS NOT NULL AND k.target_value <> k.baseline_value
                THEN (a.value - k.baseline_value) / (k.target_value - k.baseline_value) END
    FROM kpis k CROSS JOIN (SELECT as_of FROM surveys WHERE code = :'p1') s
    LEFT JOIN LATERAL (SELECT value, date FROM kpi_values v WHERE v.kpi_id = k.id AND v.date <= s.as_of
                       ORDER BY date DESC LIMIT 1) a ON true
    LEFT JOIN LATERAL (SELECT value, date FROM kpi_values v WHERE v.kpi_id = k.id AND v.date > s.as_of
                       ORDER BY date DESC LIMIT 1) l ON true
    ORDER BY k.code`, surveyCode).map(([code, title, unit, av, ad, lv, ld, att]) => ({
    code, title, unit,
    asOf: av ? { value: Number(av), date: ad } : null,
    later: lv ? { value: Number(lv), date: ld } : null,
    attainment: att ? Number(att) : null,
  }));
}
/** pct(0.6954) → '69.5%': an attainment as every view writes it. */
export const pct = (att) => `${round1(att * 100).toFixed(1)}%`;
/** shows(text, point, unit): the text has the point's value (as amount() writes it) within a few
 *  characters of its 和暦 month, in either order ('令和6年3月 75.2%', '75.2%（令和6年3月）'). */
export function shows(text, p, unit) {
  const val = amount(p.value, unit), mon = warekiMonth(p.date);
  for (let at = text.indexOf(val); at >= 0; at = text.indexOf(val, at + 1)) {
    if (text.slice(Math.max(0, at - 16), at + val.length + 16).includes(mon)) return true;
  }
  return false;
}

// ---- Chromium -----------------------------------------------------------------------------
/** launch() → a headless Debian chromium context (playwright-core, no browser download), ja-JP,
 *  Asia/Tokyo, every wait bounded by 15 s. Its profile folder is removed when the context is
 *  closed, and at the latest when the process exits (a failed test that never reaches close). */
export async function launch() {
  const { chromium } = await import('playwright-core');
  return launchChromium(chromium, { prefix: 'hyoka-consistency-chromium-', timeout: 15000 });
}
/** rendered(page, hash): waits until the dashboard has drawn exactly that URL (app.js sets
 *  data-rendered when a view is complete). */
export const rendered = (page, hash) => page.waitForFunction((hh) => document.documentElement.dataset.rendered === hh
  && document.getElementById('main').getAttribute('aria-busy') === 'false', hash);
