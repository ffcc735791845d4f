// planner.mjs - how long the planner page (ルール調整) takes to show a moved threshold, in Chromium
// against a running stack (HYOKA_URL; bench/whatif/run.sh starts one with bench/data's 100,000
// initiatives): from the key press on the slider to the counts of the new value drawn, N times,
// after a first load (whose facts read is reported apart). A benchmark: it prints numbers.
//   HYOKA_URL=http://127.0.0.1:PORT node bench/whatif/planner.mjs [SURVEY] [N]
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../tests/browser/package.json'));
const { chromium } = require('playwright-core');
const BASE = (process.env.HYOKA_URL || '').replace(/\/$/, '');
const survey = process.argv[2] || 'B';
const n = Number(process.argv[3] || 20);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
let t0 = Date.now();
await page.goto(`${BASE}/#/rules?survey=${survey}`);
await page.waitForSelector('#rules-result[data-value="0.95"][aria-busy="false"]', { timeout: 120000 });
console.log(`first load of #/rules (the worker reads the survey's facts): ${Date.now() - t0} ms`);
const times = [];
await page.focus('#rules-slider');
for (let i = 1; i <= n; i++) {
  const want = (95 - i) / 100;
  t0 = performance.now();
  await page.keyboard.press('ArrowLeft');
  await page.waitForSelector(`#rules-result[data-value="${want}"][aria-busy="false"]`, { timeout: 60000 });
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const changes = await page.$eval('#rules-changes-h', (e) => e.textContent);
console.log(`planner update, key press -> counts drawn, ${n} values: best ${times[0].toFixed(0)} ms, median ${times[n >> 1].toFixed(0)} ms, worst ${times[n - 1].toFixed(0)} ms (target < 200 ms); last: ${changes}`);
await browser.close();
