// planner.test.mjs - the planner page ルール調整 (nginx/www/view-rules.js) in Chromium against the demo
// stack tests/browser/run.sh started: moving a threshold (slider by keyboard, number field,
// another threshold) changes the category and primary-reason counts and the list of changed
// initiatives to what `hyoka sweep` prints for the same value; the file's value 0.95 of
// thresholds.on_track_ratio gives 82 / 9 / 14; the --set line; axe-core finds no violation.
// Needs HYOKA_URL, HYOKA_BUILD, HYOKA_STACK_DIR (stack_up's exports).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { launchChromium } from '../lib/chromium.mjs';

const BASE = (process.env.HYOKA_URL || '').replace(/\/$/, '');
const BUILD = process.env.HYOKA_BUILD || '';
const STACK = process.env.HYOKA_STACK_DIR || '';
const ARTIFACTS = process.env.HYOKA_ARTIFACTS || path.resolve('artifacts');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const AXE_SOURCE = fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const STEP_TIMEOUT_MS = 15000;
const SURVEY = '2023';

if (!BASE || !BUILD || !STACK) {
  console.error('HYOKA_URL, HYOKA_BUILD and HYOKA_STACK_DIR must be set (tests/browser/run.sh)');
  process.exit(2);
}
fs.mkdirSync(ARTIFACTS, { recursive: true });

/** sweep(name, spec) → `hyoka sweep --survey 2023 --format json RULES --set thresholds.NAME=SPEC`,
 *  the CLI the page must agree with (the server loaded the same default rules). */
function sweep(name, spec) {
  return JSON.parse(execFileSync(`${BUILD}/cli/hyoka`, ['--config', `${STACK}/hyoka.cfg`, 'sweep', '--survey', SURVEY,
    '--format', 'json', `${ROOT}/config/rules/default.cfg`, '--set', `thresholds.${name}=${spec}`],
  { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] }));
}
/** The counts of a sweep point as the page lists them: 'on_track=82 delayed=9 stalled=14'. */
const line = (list) => list.map((c) => `${c.id}=${c.count}`).join(' ');

const results = [];
let page;
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push([name, false]);
    await page.screenshot({ path: path.join(ARTIFACTS, `planner-failed-${results.length}.png`), fullPage: true }).catch(() => {});
    console.log(`FAIL ${name}: ${e && e.message ? e.message.split('\n').slice(0, 6).join('\n     ') : e}`);
  }
}

/** The page's counts after it has drawn `value`: {categories, reasons} as 'id=count …' of the
 *  この値 column, and the file column's categories. */
async function pageCounts(value) {
  await page.waitForSelector(`#rules-result[data-value="${value}"][aria-busy="false"]`);
  return page.evaluate(() => {
    const col = (id, cls) => [...document.querySelectorAll(`#${id} tbody tr`)]
      .map((tr) => `${tr.dataset.id}=${tr.querySelector(cls).textContent}`).join(' ');
    return {
      categories: col('rules-categories', '.count-now'),
      reasons: col('rules-reasons', '.count-now'),
      file: col('rules-categories', '.count-file'),
      changed: [...document.querySelectorAll('#rules-changes tbody tr')].map((tr) => tr.dataset.code).sort(),
      setLine: document.getElementById('rules-set-line').textContent,
    };
  });
}

/** What the page must show at `value` of thresholds.NAME whose file value is `file`. */
function expected(name, file, value) {
  const at = sweep(name, `${value}:${value}:1`).points[0];
  const lo = Math.min(file, value);
  const hi = Math.max(file, value);
  // the initiatives whose category differs between the two values: a two-point sweep's changes
  const changed = lo === hi ? [] : sweep(name, `${lo}:${hi}:${hi - lo}`).changes.map((c) => c.code).sort();
  return { categories: line(at.categories), reasons: line(at.reasons), changed };
}

const context = await launchChromium(chromium, { prefix: 'hyoka-chromium-', timeout: STEP_TIMEOUT_MS });
page = context.pages()[0] || await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));

try {
  await page.goto(`${BASE}/#/rules?survey=${SURVEY}`);

  await check('the file\'s thresholds.on_track_ratio 0.95 gives 82 / 9 / 14, as hyoka sweep', async () => {
    const got = await pageCounts(0.95);
    assert.equal(got.categories, 'on_track=82 delayed=9 stalled=14');
    assert.equal(got.file, 'on_track=82 delayed=9 stalled=14');
    const want = expected('on_track_ratio', 0.95, 0.95);
    assert.equal(got.categories, want.categories);
    assert.equal(got.reasons, want.reasons);
    assert.deepEqual(got.changed, []);
    assert.equal(await page.$eval('#rules-threshold', (s) => s.value), 'on_track_ratio');
  });

  await check('the slider moved by keyboard to 0.7: counts and changed initiatives as hyoka sweep prints them', async () => {
    await page.focus('#rules-slider');
    for (let i = 0; i < 25; i++) await page.keyboard.press('ArrowLeft');
    const got = await pageCounts(0.7);
    const want = expected('on_track_ratio', 0.95, 0.7);
    assert.equal(got.categories, want.categories);
    assert.notEqual(got.categories, 'on_track=82 delayed=9 stalled=14', 'moving the threshold changed no count');
    assert.equal(got.reasons, want.reasons);
    assert.deepEqual(got.changed, want.changed);
    assert.ok(got.changed.length > 0);
    assert.equal(got.setLine, '--set thresholds.on_track_ratio=0.7');
    assert.match(await page.evaluate(() => location.hash), /threshold=on_track_ratio&value=0\.7$/);
  });

  await check('a value typed into the number field (0.5), then back to the file\'s value', async () => {
    await page.fill('#rules-value', '0.5');
    const got = await pageCounts(0.5);
    const want = expected('on_track_ratio', 0.95, 0.5);
    assert.equal(got.categories, want.categories);
    assert.equal(got.reasons, want.reasons);
    assert.deepEqual(got.changed, want.changed);
    await page.click('#rules-reset');
    assert.equal((await pageCounts(0.95)).categories, 'on_track=82 delayed=9 stalled=14');
  });

  await check('another threshold: planning_months at 24 and at 6, as hyoka sweep', async () => {
    await page.selectOption('#rules-threshold', 'planning_months');
    await pageCounts(12);
    for (const v of [24, 6]) {
      await page.fill('#rules-value', String(v));
      const got = await pageCounts(v);
      const want = expected('planning_months', 12, v);
      assert.equal(got.categories, want.categories, `planning_months=${v}`);
      assert.equal(got.reasons, want.reasons, `planning_months=${v}`);
      assert.deepEqual(got.changed, want.changed, `planning_months=${v}`);
      assert.equal(got.setLine, `--set thresholds.planning_months=${v}`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'planner.png'), fullPage: true });
  });

  await check('a shared link (#/rules?threshold=…&value=…) opens at that value', async () => {
    await page.goto('about:blank');
    await page.goto(`${BASE}/#/rules?survey=${SURVEY}&threshold=progressing_ratio&value=0.3`);
    const got = await pageCounts(0.3);
    const want = expected('progressing_ratio', 0.5, 0.3);
    assert.equal(got.categories, want.categories);
    assert.deepEqual(got.changed, want.changed);
  });

  await check('axe-core (WCAG 2.1 A/AA): no violations on ルール調整', async () => {
    await page.evaluate(AXE_SOURCE); // over the DevTools protocol: the page's CSP stays on
    const res = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
    assert.deepEqual(res.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), []);
  });

  await check('取組詳細 何が変われば改善するか: the API\'s counterfactual sentences, and a line for the categories no fact reaches', async () => {
    const items = (await (await fetch(`${BASE}/api/v1/initiatives?survey=${SURVEY}&category=delayed&limit=1`)).json()).items;
    const code = items[0].code;
    const it = await (await fetch(`${BASE}/api/v1/initiatives/${encodeURIComponent(code)}?survey=${SURVEY}`)).json();
    const found = it.counterfactuals.filter((c) => c.found);
    assert.ok(found.length > 0, `${code}: no counterfactual found`);
    await page.goto('about:blank');
    await page.goto(`${BASE}/#/initiative/${encodeURIComponent(code)}?survey=${SURVEY}`);
    await page.waitForSelector('#whatif-h');
    const rows = await page.$$eval('.data--whatif tbody tr', (trs) => trs.map((tr) => tr.lastElementChild.textContent));
    assert.deepEqual(rows, found.map((c) => c.text));
    assert.match(rows[0], /『予定どおり順調』$/);
    const stalled = (await (await fetch(`${BASE}/api/v1/initiatives?survey=${SURVEY}&category=stalled&limit=1`)).json()).items[0].code;
    const st = await (await fetch(`${BASE}/api/v1/initiatives/${encodeURIComponent(stalled)}?survey=${SURVEY}`)).json();
    if (!st.counterfactuals.some((c) => c.found)) {
      await page.goto('about:blank');
      await page.goto(`${BASE}/#/initiative/${encodeURIComponent(stalled)}?survey=${SURVEY}`);
      await page.waitForSelector('#whatif-h');
      assert.equal(await page.$$eval('.whatif-none li', (li) => li.length), 2);
    }
  });

  await check('no script errors', async () => {
    assert.deepEqual(pageErrors, []);
  });
} finally {
  await context.close(); // removes the profile
}

const passed = results.filter((r) => r[1]).length;
const failed = results.length - passed;
console.log(`planner: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
