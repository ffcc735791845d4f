// dashboard.test.mjs - the dashboard in Debian's chromium against a running hyoka (demo data):
// numbers against the API, filters/paging/CSV, explanations, KPIs, keyboard use, axe-core (WCAG
// A/AA), phone width, loading/empty/4xx/5xx/backend-down states, CSP. Screenshots (and one per
// failed check) go to $HYOKA_ARTIFACTS. Prints "N passed, N failed"; exit 1 on any failure.
//
// Environment: HYOKA_URL (the stack's base URL), HYOKA_ARTIFACTS (folder for screenshots),
// HYOKA_STOP_BACKEND (a shell command that stops hyoka-fcgi; run before the last checks).

import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const AXE_SOURCE = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const BASE = (process.env.HYOKA_URL || '').replace(/\/$/, '');
const ARTIFACTS = process.env.HYOKA_ARTIFACTS || path.resolve('artifacts');
const STOP_BACKEND = process.env.HYOKA_STOP_BACKEND || '';
/** Upper bound for one wait in the page (the whole tier must stay under 5 minutes). */
const STEP_TIMEOUT_MS = 15000;
/** Most Tab presses a keyboard check may take to reach a control (the page has ~30 stops before the list). */
const MAX_TABS = 80;

if (!BASE) {
  console.error('HYOKA_URL is not set');
  process.exit(2);
}
fs.mkdirSync(ARTIFACTS, { recursive: true });
for (const f of fs.readdirSync(ARTIFACTS)) if (/^failed-\d+\.png$/.test(f)) fs.rmSync(path.join(ARTIFACTS, f));

async function api(p) {
  const res = await fetch(`${BASE}/api/v1/${p}`);
  assert.equal(res.status, 200, `GET /api/v1/${p} → ${res.status}`);
  return res.json();
}

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push([name, false]);
    await page.screenshot({ path: path.join(ARTIFACTS, `failed-${results.length}.png`), fullPage: true }).catch(() => {});
    console.log(`FAIL ${name}: ${e && e.message ? e.message.split('\n').slice(0, 6).join('\n     ') : e}`);
  }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyoka-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
  locale: 'ja-JP',
  timezoneId: 'Asia/Tokyo',
});
context.setDefaultTimeout(STEP_TIMEOUT_MS);
const page = context.pages()[0] || await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) pageErrors.push(m.text()); });

/** go(hash): a fresh page load of the dashboard at that view (not a same-document hash change,
 *  so nothing of the previous view can be mistaken for the new one). */
async function go(hash) {
  await page.goto('about:blank');
  await page.goto(`${BASE}/${hash}`);
  await settle();
}
/** settle(): waits until the dashboard has finished drawing the URL now in the address bar. */
async function settle() {
  await page.waitForFunction(() => document.documentElement.dataset.rendered === (location.hash || '#/')
    && document.getElementById('main').getAttribute('aria-busy') === 'false');
}
const shot = (name, fullPage = true) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage });
const listCodes = () => page.$$eval('#list-results tbody tr[data-code]', (rows) => rows.map((r) => r.dataset.code));

const summary = await api('summary');
const survey = summary.survey.code;

try {
  await check('summary shows 82 / 9 / 14 and 78.1 / 8.6 / 13.3 % with labels from the API', async () => {
    await go('#/');
    await page.waitForSelector('.cat-card');
    const cards = await page.$$eval('.cat-card', (els) => els.map((e) => ({
      label: e.querySelector('.cat-card__label').textContent,
      count: e.querySelector('.cat-card__count').firstChild.textContent,
      pct: e.querySelector('.cat-card__pct').textContent,
    })));
    assert.deepEqual(cards.map((c) => c.count), ['82', '9', '14']);
    assert.deepEqual(cards.map((c) => c.pct), ['78.1%', '8.6%', '13.3%']);
    summary.categories.forEach((c, i) => assert.ok(cards[i].label.includes(c.label), `card ${i} label ${cards[i].label} ≠ ${c.label}`));
    const text = await page.textContent('main');
    assert.ok(text.includes(String(summary.total)), 'total shown');
    for (const r of summary.reasons) {
      assert.ok(text.includes(r.label), `reason ${r.label}`);
      if (r.response) assert.ok(text.includes(r.response), `response ${r.response}`);
    }
    for (const f of summary.flags) assert.ok(text.includes(f.label), `flag ${f.label}`);
    assert.ok(text.includes(summary.run.rules.version), 'rule-set version shown');
    assert.ok(text.includes(summary.run.rules.sha256.slice(0, 12)), 'sha256 prefix shown');
    await shot('summary.png');
  });

  await check('summary dates are in 和暦 (as_of of the survey)', async () => {
    const text = await page.textContent('main');
    const [y, m, d] = summary.survey.as_of.split('-').map(Number);
    const expected = await page.evaluate(([yy, mm, dd]) => new Intl.DateTimeFormat('ja-JP-u-ca-japanese',
      { era: 'long', year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(yy, mm - 1, dd)), [y, m, d]);
    assert.ok(text.includes(expected), `${expected} not on the page`);
    if (summary.survey.as_of === '2024-03-31') {
      assert.ok(text.includes('令和6年3月31日') && text.includes('令和5年度末'), '令和6年3月31日 / 令和5年度末');
    }
    assert.ok(!/\b20\d\d-\d\d-\d\d\b/.test(text), 'an ISO date is shown instead of 和暦');
  });

  await check('survey selector lists /surveys, starts at the API default, and switches the survey', async () => {
    const surveys = (await api('surveys')).items;
    await go('#/');
    const opts = await page.$$eval('#survey-select option', (options) => options.map((o) => o.value));
    assert.deepEqual(opts, surveys.map((s) => s.code));
    assert.equal(await page.inputValue('#survey-select'), survey);
    const other = surveys.find((s) => s.code !== survey && s.runs > 0);
    assert.ok(other, 'the demo has a second evaluated survey');
    await page.selectOption('#survey-select', other.code);
    await page.waitForFunction((c) => location.hash.includes(`survey=${c}`), other.code);
    await settle();
    const s2 = await api(`summary?survey=${other.code}`);
    const counts = await page.$$eval('.cat-card__count', (els) => els.map((e) => e.firstChild.textContent));
    assert.deepEqual(counts, s2.categories.map((c) => c.count.toLocaleString('ja-JP')));
    const pcts = await page.$$eval('.cat-card__pct', (els) => els.map((e) => e.textContent));
    assert.deepEqual(pcts, s2.categories.map((c) => `${c.percent.toFixed(1)}%`));
  });

  await check('summary cards compare with the previous evaluated survey (counts and signed change)', async () => {
    const surveys = (await api('surveys')).items.filter((s) => s.runs > 0).sort((a, b) => a.as_of.localeCompare(b.as_of));
    const i = surveys.findIndex((s) => s.code === survey);
    assert.ok(i > 0, 'the demo default survey has a previous one');
    const prev = await api(`summary?survey=${surveys[i - 1].code}`);
    await go(`#/?survey=${survey}`);
    const deltas = await page.$$eval('.cat-card__delta', (els) => els.map((e) => e.textContent));
    assert.equal(deltas.length, summary.categories.length);
    summary.categories.forEach((c, k) => {
      const b = prev.categories.find((x) => x.id === c.id);
      const d = c.count - b.count;
      const sign = d > 0 ? `+${d}` : d < 0 ? `−${-d}` : '±0';
      assert.ok(deltas[k].includes(`${b.count}件`) && deltas[k].includes(`${sign}件`), `${deltas[k]} vs ${b.count} ${sign}`);
    });
  });

  await check('the printable report link is /api/v1/report?survey=…&format=html and answers HTML', async () => {
    await go(`#/?survey=${survey}`);
    const href = await page.getAttribute('#report-link', 'href');
    const u = new URL(href, BASE);
    assert.equal(u.pathname, '/api/v1/report');
    assert.equal(u.searchParams.get('survey'), survey);
    assert.equal(u.searchParams.get('format'), 'html');
    assert.equal(await page.getAttribute('#report-button', 'href'), href);
    const res = await fetch(u);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /text\/html/);
  });

  await check('和暦 helpers in the browser: era boundaries, 元年, fiscal years, 年度末', async () => {
    const rows = await page.evaluate(async () => {
      const f = await import('/format.js');
      return [
        [f.warekiDate('2024-03-31'), '令和6年3月31日'],
        [f.asOfLabel('2024-03-31'), '令和5年度末'],
        [f.asOfLabel('2023-09-30'), '令和5年9月末'],
        [f.asOfLabel('2024-03-15'), '令和6年3月15日'],
        [f.warekiDate('2019-04-30'), '平成31年4月30日'],
        [f.warekiDate('2019-05-01'), '令和元年5月1日'],
        [f.fiscalYearLabel(2019), '令和元年度'],
        [f.fiscalYearLabel(2018), '平成30年度'],
        [f.fiscalYearLabel(2023), '令和5年度'],
        [f.warekiMonth('2024-10-31'), '令和6年10月'],
        [f.warekiDateTime('2024-05-10T00:30:00Z'), '令和6年5月10日 9:30'],
        [f.warekiDate('2024-02-30'), '2024-02-30'],
        [f.formatPercent(78.1), '78.1%'],
        [f.formatPercent(0), '0.0%'],
        [f.formatScore(null), '—'],
        [f.formatCount(6841), '6,841'],
        [f.formatValue(null), 'なし（null）'],
        [f.formatValue(8000000), '8,000,000'],
        [f.formatValue(2023), '2023'],
      ];
    });
    const wrong = rows.filter(([got, want]) => got !== want).map(([got, want]) => `${got} ≠ ${want}`);
    assert.deepEqual(wrong, []);
  });

  await check('loading state: 読み込み中… in the live region while the API is slow', async () => {
    await page.goto('about:blank');
    let release;
    const gate = new Promise((r) => { release = r; });
    await page.route('**/api/v1/initiatives?*', async (route) => { await gate; await route.continue(); });
    try {
      await page.goto(`${BASE}/#/list?survey=${survey}`);
      await page.waitForSelector('#list-results[aria-busy="true"]', { state: 'attached' });
      assert.equal(await page.textContent('#status'), '読み込み中…');
      assert.equal(await page.getAttribute('#status', 'aria-live'), 'polite');
      assert.ok(await page.isVisible('#status'), 'the loading line is visible');
      release();
      await settle();
      assert.notEqual(await page.textContent('#status'), '読み込み中…');
    } finally {
      release();
      await page.unroute('**/api/v1/initiatives?*');
    }
  });

  await check('503 problem+json (database down) shows its own message and a retry that recovers', async () => {
    await page.goto('about:blank');
    let fail = true;
    await page.route('**/api/v1/summary*', (route) => (fail
      ? route.fulfill({ status: 503, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'database unreachable' }) })
      : route.continue()));
    try {
      await page.goto(`${BASE}/#/`);
      await page.waitForSelector('.error-panel');
      const text = await page.textContent('.error-panel');
      assert.ok(text.includes('データベースに接続できません'), text);
      assert.ok(text.includes('503') && text.includes('database unreachable'), text);
      fail = false;
      await page.click('#retry');
      await page.waitForSelector('.cat-card');
    } finally {
      await page.unroute('**/api/v1/summary*');
    }
  });

  await check('429 (rate limited) says to wait and retry, with the status line saying the same', async () => {
    await page.goto('about:blank');
    await page.route('**/api/v1/kpis*', (route) => route.fulfill({ status: 429, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'urn:hyoka:problem:rate-limited', title: 'Too Many Requests', status: 429, detail: 'too many requests from this address; slow down' }) }));
    try {
      await go('#/kpis');
      const text = await page.textContent('.error-panel');
      assert.ok(text.includes('アクセスが集中しています') && text.includes('429'), text);
      assert.ok(await page.isVisible('#retry'));
      assert.ok((await page.textContent('#status')).includes('アクセスが集中しています'));
    } finally {
      await page.unroute('**/api/v1/kpis*');
    }
  });

  await check('no evaluation run yet (404 from /summary): a notice saying what to do, not an error', async () => {
    await page.goto('about:blank');
    await page.route('**/api/v1/summary', (route) => route.fulfill({ status: 404, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'urn:hyoka:problem:not-found', title: 'Not Found', status: 404, detail: 'no survey has an evaluation run yet' }) }));
    try {
      await go('#/');
      const text = await page.textContent('main');
      assert.ok(text.includes('評価結果がまだありません') && text.includes('hyoka evaluate'), text);
      assert.equal(await page.$('.error-panel'), null);
    } finally {
      await page.unroute('**/api/v1/summary');
    }
  });

  const reason = summary.reasons.find((r) => r.count > 0) || summary.reasons[0];
  await check(`filtering to reason "${reason.id}" shows exactly the initiatives the API returns`, async () => {
    await go(`#/list?survey=${survey}`);
    await page.selectOption('#f-reason', reason.id);
    await page.waitForFunction((id) => location.hash.includes(`reason=${id}`), reason.id);
    await settle();
    const shown = await listCodes();
    const expected = await api(`initiatives?survey=${survey}&reason=${reason.id}&limit=50`);
    assert.deepEqual(shown, expected.items.map((i) => i.code));
    assert.ok(shown.length > 0, 'reason has initiatives');
    const count = await page.textContent('#list-count');
    assert.ok(count.includes(`${expected.total}件`), `count line "${count}"`);
    await shot('list.png');
  });

  await check('the CSV link carries the same filters (format=csv) and returns the same rows', async () => {
    const href = await page.getAttribute('#csv-link', 'href');
    const u = new URL(href, BASE);
    assert.equal(u.pathname, '/api/v1/initiatives');
    assert.equal(u.searchParams.get('format'), 'csv');
    assert.equal(u.searchParams.get('reason'), reason.id);
    assert.equal(u.searchParams.get('survey'), survey);
    const res = await fetch(u);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /text\/csv/);
    const bytes = Buffer.from(await res.arrayBuffer());
    const body = bytes.toString('utf8');
    const lines = body.split(/\r?\n/).filter((l) => l.trim() !== '');
    const codes = await listCodes();
    assert.equal(lines.length - 1, codes.length, 'CSV data rows = rows shown');
    for (const c of codes) assert.ok(body.includes(c), `CSV has ${c}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-link')]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const saved = fs.readFileSync(await download.path());
    assert.ok(saved.equals(bytes), 'the browser saves exactly what the API sends');
    assert.deepEqual([...saved.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
  });

  await check('filters live in the URL: back button restores the previous list', async () => {
    const before = await listCodes();
    await page.selectOption('#f-sort', '-score');
    await page.waitForFunction(() => location.hash.includes('sort=-score'));
    await settle();
    const sorted = await listCodes();
    const api2 = await api(`initiatives?survey=${survey}&reason=${reason.id}&sort=-score&limit=50`);
    assert.deepEqual(sorted, api2.items.map((i) => i.code));
    await page.goBack();
    await page.waitForFunction(() => !location.hash.includes('sort=-score'));
    await settle();
    assert.deepEqual(await listCodes(), before);
    assert.equal(await page.inputValue('#f-sort'), 'code');
    assert.equal(await page.inputValue('#f-reason'), reason.id);
  });

  await check('paging: page 2 of the full list is offset 50 of the API', async () => {
    await go(`#/list?survey=${survey}`);
    await page.click('.pager a[rel="next"]');
    await page.waitForFunction(() => location.hash.includes('offset=50'));
    await settle();
    const expected = await api(`initiatives?survey=${survey}&limit=50&offset=50`);
    assert.deepEqual(await listCodes(), expected.items.map((i) => i.code));
  });

  await check('no match shows 「該当する取組はありません」', async () => {
    await go(`#/list?survey=${survey}&q=${encodeURIComponent('該当なしの検索語zzz')}`);
    await page.waitForSelector('.empty');
    assert.ok((await page.textContent('#list-results')).includes('該当する取組はありません'));
  });

  await check('an unknown category in the URL shows the API\'s 400 detail naming the parameter', async () => {
    await go(`#/list?survey=${survey}&category=no_such_category`);
    await page.waitForSelector('.error-panel');
    const res = await fetch(`${BASE}/api/v1/initiatives?survey=${survey}&category=no_such_category`);
    assert.equal(res.status, 400);
    const problem = await res.json();
    const text = await page.textContent('.error-panel');
    assert.ok(text.includes(problem.detail), `detail "${problem.detail}" not shown: ${text}`);
    assert.ok(text.includes('400'));
  });

  await check('an unknown initiative shows 見つかりません (404), not a blank page', async () => {
    await go(`#/initiative/no-such-code?survey=${survey}`);
    await page.waitForSelector('.error-panel');
    assert.ok((await page.textContent('.error-panel')).includes('見つかりません'));
  });

  const stalled = summary.categories[summary.categories.length - 1];
  const firstStalled = (await api(`initiatives?survey=${survey}&category=${stalled.id}&limit=1`)).items[0];
  await check(`initiative ${firstStalled.code} shows its category, reasons, recommendations and explanation`, async () => {
    const detail = await api(`initiatives/${encodeURIComponent(firstStalled.code)}?survey=${survey}`);
    await go(`#/initiative/${encodeURIComponent(firstStalled.code)}?survey=${survey}`);
    await page.waitForSelector('.explain');
    const text = await page.textContent('main');
    assert.ok(text.includes(detail.title), 'title');
    assert.ok(text.includes(detail.category.label), 'category label');
    for (const r of detail.reasons) assert.ok(text.includes(r.label), `reason ${r.label}`);
    for (const rec of detail.recommendations) assert.ok(text.includes(rec), `recommendation ${rec}`);
    assert.ok(detail.explanation.length > 0, 'API has an explanation');
    const steps = await page.$$eval('.explain__step', (els) => els.map((e) => e.textContent));
    assert.equal(steps.length, detail.explanation.length, 'one step per explanation entry');
    detail.explanation.forEach((e, i) => {
      assert.ok(steps[i].includes(e.text), `step ${i} text "${e.text}"`);
      assert.ok(steps[i].includes(e.id), `step ${i} rule id ${e.id}`);
      if (e.source) assert.ok(steps[i].includes(e.source), `step ${i} source ${e.source}`);
    });
    for (const h of detail.history) assert.ok(text.includes(h.survey.label || h.survey.code), `history ${h.survey.code}`);
    const facts = Object.keys(detail.facts);
    for (const f of facts.slice(0, 5)) assert.ok(text.includes(f), `fact ${f}`);
    await shot('detail.png');
  });

  await check('an initiative with KPIs lists them under 関連する指標 with the API\'s attainment', async () => {
    const kpis = (await api(`kpis?survey=${survey}`)).items;
    const k = kpis.find((x) => x.initiatives.length > 0 && typeof x.attainment === 'number');
    assert.ok(k, 'the demo has a KPI linked to an initiative');
    await go(`#/initiative/${encodeURIComponent(k.initiatives[0])}?survey=${survey}`);
    const text = await page.textContent('section[aria-labelledby="kpi-h"]');
    assert.ok(text.includes(k.title), `${k.title} in ${text}`);
    assert.ok(text.includes(`${(Math.round(k.attainment * 1000) / 10).toFixed(1)}%`), `attainment ${k.attainment} in ${text}`);
  });

  await check('所管課別: a department row leads to the list filtered to it, with the same count', async () => {
    await go(`#/departments?survey=${survey}`);
    await page.waitForSelector('.data--groups tbody tr');
    const first = await page.$eval('.data--groups tbody tr', (tr) => ({
      name: tr.querySelector('th a').textContent, total: tr.querySelector('td.num').textContent,
    }));
    await page.click('.data--groups tbody tr th a');
    await page.waitForFunction(() => location.hash.includes('department='));
    await settle();
    const expected = await api(`initiatives?survey=${survey}&department=${encodeURIComponent(first.name)}&limit=50`);
    assert.equal(String(expected.total), first.total.replace(/,/g, ''));
    assert.deepEqual(await listCodes(), expected.items.map((i) => i.code));
    await go(`#/measures?survey=${survey}`);
    await page.waitForSelector('.data--groups tbody tr');
    await shot('departments-measures.png');
  });

  await check('施策別 sorted by the last category: counts as the API gives them, largest first', async () => {
    const body = await api(`measures?survey=${survey}`);
    const counts = body.items.map((m) => m.counts[stalled.id]);
    await go(`#/measures?survey=${survey}&order=cat:${stalled.id}`);
    const col = summary.categories.length; // the cells are 取組数, then one per category
    const shown = await page.$$eval('.data--groups tbody tr', (trs, c) => trs.map((tr) => Number(tr.querySelectorAll('td')[c].textContent)), col);
    assert.equal(shown.length, body.items.length);
    assert.deepEqual(shown, [...counts].sort((a, b) => b - a));
    assert.equal(await page.getAttribute('.data--groups thead th[aria-sort]', 'aria-sort'), 'descending');
  });

  await check('指標 shows マイナンバーカード保有率 with baseline → latest → target and a chart', async () => {
    await go('#/kpis');
    await page.waitForSelector('.kpi');
    const kpi = page.locator('.kpi', { hasText: 'マイナンバーカード保有率' });
    assert.equal(await kpi.count(), 1);
    const text = await kpi.textContent();
    assert.ok(text.includes('基準') && text.includes('最新') && text.includes('目標') && text.includes('達成度'));
    assert.match(text, /令和\d+年\d+月/);
    assert.ok(await kpi.locator('svg.kpi-chart rect').count() >= 2, 'bars drawn');
    await shot('kpis.png');
  });

  await check('keyboard only: skip link, filter by keyword, open an initiative with Enter', async () => {
    await go(`#/list?survey=${survey}`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main', 'skip link moves focus to main');
    const tabTo = async (selector) => {
      for (let i = 0; i < MAX_TABS; i++) {
        if (await page.evaluate((sel) => document.activeElement && document.activeElement.matches(sel), selector)) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`could not reach ${selector} with Tab`);
    };
    await tabTo('#f-q');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.type(firstStalled.code);
    await page.keyboard.press('Enter');
    await page.waitForFunction((c) => decodeURIComponent(location.hash).includes(`q=${c}`), firstStalled.code);
    await settle();
    const codes = await listCodes();
    assert.ok(codes.includes(firstStalled.code), `filtered list ${codes}`);
    await tabTo(`tr[data-code="${firstStalled.code}"] a.item-link`);
    await page.keyboard.press('Enter');
    await page.waitForFunction((c) => location.hash.startsWith(`#/initiative/${encodeURIComponent(c)}`), firstStalled.code);
    await page.waitForSelector('.explain');
    const focused = await page.evaluate(() => document.activeElement.id);
    assert.equal(focused, 'page-title', 'focus moves to the new page heading');
  });

  await check('keyboard: a category select changes with the arrow keys and filters the list', async () => {
    await go(`#/list?survey=${survey}`);
    await page.focus('#f-category');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction((id) => location.hash.includes(`category=${id}`), summary.categories[0].id);
    await settle();
    const expected = await api(`initiatives?survey=${survey}&category=${summary.categories[0].id}&limit=50`);
    assert.deepEqual(await listCodes(), expected.items.map((i) => i.code));
    assert.equal(await page.evaluate(() => document.activeElement.id), 'f-category', 'focus stays on the control');
  });

  await check('375 px: no page-level horizontal overflow on summary, list, detail, KPIs', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    const views = ['#/', `#/list?survey=${survey}`, `#/initiative/${encodeURIComponent(firstStalled.code)}?survey=${survey}`,
      '#/kpis', `#/departments?survey=${survey}`];
    for (const v of views) {
      await go(v);
      const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(sw <= cw, `${v}: scrollWidth ${sw} > ${cw}`);
      if (v === '#/') await shot('summary-phone.png');
      if (v.startsWith('#/list')) {
        await page.evaluate(() => document.getElementById('list-results').scrollIntoView());
        await shot('list-phone.png', false);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await check('category is told by text/icon as well as colour', async () => {
    await go(`#/list?survey=${survey}&category=${stalled.id}`);
    const badge = await page.$eval('#list-results .cat', (e) => ({ text: e.textContent, icon: e.querySelector('.cat__icon').textContent }));
    assert.ok(badge.text.includes(stalled.label));
    assert.ok(badge.icon.trim().length > 0);
  });

  await check('axe-core (WCAG 2.1 A/AA rules, contrast included): no violations on any view', async () => {
    const views = ['#/', `#/list?survey=${survey}&reason=${reason.id}`, `#/initiative/${encodeURIComponent(firstStalled.code)}?survey=${survey}`,
      `#/departments?survey=${survey}`, `#/measures?survey=${survey}`, '#/kpis'];
    const found = [];
    for (const v of views) {
      await go(v);
      await page.evaluate(AXE_SOURCE); // evaluated over the DevTools protocol: the page's CSP stays on
      const res = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
      for (const x of res.violations) found.push(`${v}: ${x.id} (${x.impact}) ${x.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(' | ')}`);
    }
    assert.deepEqual(found, []);
  });

  await check('no JavaScript errors and no Content-Security-Policy violations on any page', async () => {
    assert.deepEqual(pageErrors, []);
  });

  await check('hyoka-fcgi stopped: a clear error with a retry button, never a blank page', async () => {
    assert.ok(STOP_BACKEND, 'HYOKA_STOP_BACKEND is set');
    execSync(STOP_BACKEND, { stdio: 'inherit', timeout: 20000 });
    await page.goto('about:blank');
    await page.goto(`${BASE}/#/`);
    await page.waitForSelector('.error-panel');
    const text = await page.textContent('.error-panel');
    assert.ok(text.includes('サーバーに接続できません'), text);
    assert.ok(await page.isVisible('#retry'), 'retry button');
    const role = await page.getAttribute('.error-panel', 'role');
    assert.equal(role, 'alert');
    await shot('error.png');
    await page.click('#retry');
    await page.waitForSelector('.error-panel');
  });
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}

const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
