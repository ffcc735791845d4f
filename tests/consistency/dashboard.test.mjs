// dashboard.test.mjs - what the dashboard shows in Debian's chromium (playwright-core, as
// tests/browser) for every survey that has a run: the numbers on 概要, 所管課別 and 指標 equal the
// API's; following a count's link opens a list that says that many (and its CSV link gives that many
// rows); the HTML report behind 報告書を開く has the summary's figures. A failure lists every
// figure that differs, with the view and both values.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, DATASET, api, get, parseCsv, noMismatch, surveysWithRuns, countInText, cellNumber, amount, warekiMonth,
  rowFor, kpisAt, pct, shows, launch, rendered, groupCount, stripMark,
} from './lib.mjs';

const surveys = await surveysWithRuns();
let context, page;

before(async () => {
  context = await launch();
  page = context.pages()[0] || await context.newPage();
});
after(async () => { if (context) await context.close(); });

/** open(hash): the dashboard at that view, waiting until it has drawn exactly that URL. The first
 *  call loads the page; later ones change the hash as a click on a link does. */
async function open(hash) {
  if (!page.url().startsWith(BASE)) await page.goto(`${BASE}/${hash}`);
  else await page.evaluate((hh) => { location.hash = hh; }, hash);
  await rendered(page, hash);
}
/** The rows of the table inside SELECTOR: [{head, cells: [text…], href}] (head = th of the row),
 *  as a screen reader reads them (decorative icons, aria-hidden, left out). */
// rows of a table's body; a group header row (所管課別's 部) is not a row of the list
const tableRows = (selector) => page.$$eval(`${selector} tbody tr:not(.division-row)`, (trs) => trs.map((tr) => {
  const read = (el) => {
    const c = el.cloneNode(true);
    for (const x of c.querySelectorAll('[aria-hidden="true"]')) x.remove();
    return c.textContent.replace(/\s+/g, ' ').trim();
  };
  return {
    head: read(tr.querySelector('th') || tr.cells[0]),
    cells: [...tr.querySelectorAll('td')].map(read),
    href: (tr.querySelector('a[href^="#/"]') || { getAttribute: () => null }).getAttribute('href'),
  };
}));

/** follow(href): opens a list link and returns {count (shown), csvRows (of its CSV link), text}. */
async function follow(href) {
  await open(href);
  const text = (await page.textContent('#list-count').catch(() => null)) ?? '';
  const csvHref = await page.getAttribute('#csv-link', 'href').catch(() => null);
  let csvRows = null;
  if (csvHref) {
    const r = await get(new URL(csvHref, `${BASE}/`).pathname + new URL(csvHref, `${BASE}/`).search);
    csvRows = r.status === 200 ? parseCsv(r.text).length : `HTTP ${r.status}`;
  }
  return { count: countInText(text), csvRows, text };
}

for (const s of surveys) {
  const S = s.code;
  const name = (what) => `${DATASET} survey ${S}: dashboard ${what}`;
  let summaryP = null;
  const summary = () => (summaryP ??= api('summary', { survey: S }));

  test(name('概要 cards: count and percent of each category = API summary'), async () => {
    const sum = await summary();
    await open(`#/?survey=${encodeURIComponent(S)}`);
    const cards = await page.$$eval('.cat-card', (els) => els.map((e) => ({
      label: e.querySelector('.cat-card__label').textContent,
      count: e.querySelector('.cat-card__count').firstChild.textContent,
      pct: e.querySelector('.cat-card__pct').textContent,
      href: e.querySelector('a').getAttribute('href'),
    })));
    const bad = [];
    if (cards.length !== sum.categories.length) bad.push(`${cards.length} cards, API has ${sum.categories.length} categories`);
    sum.categories.forEach((c, i) => {
      const card = cards[i];
      if (!card) return;
      if (!card.label.includes(c.label)) bad.push(`card ${i + 1}: label '${card.label}', API '${c.label}'`);
      if (cellNumber(card.count) !== c.count) bad.push(`category ${c.id}: card shows ${card.count}, API count ${c.count}`);
      if (card.pct !== `${c.percent.toFixed(1)}%`) bad.push(`category ${c.id}: card shows ${card.pct}, API percent ${c.percent}`);
    });
    noMismatch(bad, '概要 cards vs API');
  });

  test(name('概要 調査結果 table: each row and 合計 = API summary'), async () => {
    const sum = await summary();
    await open(`#/?survey=${encodeURIComponent(S)}`);
    const rows = await tableRows('table.data--seed');
    const foot = await page.$$eval('table.data--seed tfoot td', (tds) => tds.map((td) => td.textContent.trim()));
    const bad = [];
    for (const c of sum.categories) {
      const r = rows.find((x) => stripMark(x.head) === c.label);
      if (!r) { bad.push(`category ${c.id}: no row '${c.label}'`); continue; }
      if (cellNumber(r.cells[0]) !== c.count) bad.push(`category ${c.id}: table shows ${r.cells[0]}, API count ${c.count}`);
      if (r.cells[1] !== `${c.percent.toFixed(1)}%`) bad.push(`category ${c.id}: table shows ${r.cells[1]}, API percent ${c.percent}`);
    }
    if (cellNumber(foot[0]) !== sum.total) bad.push(`合計: table shows ${foot[0]}, API total ${sum.total}`);
    noMismatch(bad, '概要 調査結果 vs API');
  });

  test(name('概要 reasons table: each reason\'s count and 合計 = API summary (primary reasons)'), async () => {
    const sum = await summary();
    await open(`#/?survey=${encodeURIComponent(S)}`);
    const bad = [];
    if (sum.reasons.length) {
      const rows = await tableRows('table.data--reasons');
      for (const r of sum.reasons) {
        const row = rows.find((x) => stripMark(x.head) === r.label);
        if (!row) { bad.push(`reason ${r.id}: no row '${r.label}'`); continue; }
        if (cellNumber(row.cells[0]) !== r.count) bad.push(`reason ${r.id}: table shows ${row.cells[0]}, API count ${r.count}`);
      }
      const foot = await page.$$eval('table.data--reasons tfoot td', (tds) => tds.map((td) => td.textContent.trim()));
      const total = sum.reasons.reduce((a, r) => a + r.count, 0);
      if (cellNumber(foot[0]) !== total) bad.push(`合計: table shows ${foot[0]}, API reasons add up to ${total}`);
    }
    noMismatch(bad, '概要 reasons vs API');
  });

  test(name('概要 flags table: each flag\'s count = API summary'), async () => {
    const sum = await summary();
    await open(`#/?survey=${encodeURIComponent(S)}`);
    const rows = sum.flags.length ? await tableRows('section[aria-labelledby="flags-h"] table') : [];
    const bad = [];
    for (const f of sum.flags) {
      const row = rows.find((x) => x.head === f.label);
      if (!row) { bad.push(`flag ${f.id}: no row '${f.label}'`); continue; }
      if (cellNumber(row.cells[row.cells.length - 1]) !== f.count) bad.push(`flag ${f.id}: table shows ${row.cells[row.cells.length - 1]}, API count ${f.count}`);
    }
    noMismatch(bad, '概要 flags vs API');
  });

  /** The links of 概要 for one kind: [{id, shown, href}] with the count the page shows. */
  async function summaryLinks(kind) {
    const sum = await summary();
    await open(`#/?survey=${encodeURIComponent(S)}`);
    if (kind === 'category') {
      const cards = await page.$$eval('.cat-card', (els) => els.map((e) => ({
        count: e.querySelector('.cat-card__count').firstChild.textContent, href: e.querySelector('a').getAttribute('href') })));
      return sum.categories.map((c, i) => ({ id: c.id, shown: cellNumber(cards[i].count), href: cards[i].href }));
    }
    const list = kind === 'reason' ? sum.reasons : sum.flags;
    if (!list.length) return [];
    const rows = await tableRows(kind === 'reason' ? 'table.data--reasons' : 'section[aria-labelledby="flags-h"] table');
    return list.map((x) => {
      const row = rows.find((r) => stripMark(r.head) === x.label) || { cells: [], href: null };
      // reasons: 取組数 is the first cell (対応策 follows); flags: the last (after 重要度)
      return { id: x.id, shown: cellNumber((kind === 'reason' ? row.cells[0] : row.cells[row.cells.length - 1]) ?? ''), href: row.href };
    });
  }

  for (const kind of ['category', 'reason', 'flag']) {
    test(name(`概要 → 取組一覧: each ${kind}'s link opens a list that says as many as 概要 counts, and its CSV link gives as many rows`), async () => {
      const bad = [];
      for (const l of await summaryLinks(kind)) {
        if (!l.href) { bad.push(`${kind} ${l.id}: no link on 概要`); continue; }
        const got = await follow(l.href);
        if (got.count !== l.shown) bad.push(`${kind} ${l.id}: 概要 shows ${l.shown}, its link ${l.href} opens a list saying '${got.text}'`);
        if (got.csvRows !== l.shown) bad.push(`${kind} ${l.id}: 概要 shows ${l.shown}, the list's CSV link gives ${got.csvRows} rows`);
      }
      noMismatch(bad, `概要 ${kind} links`);
    });
  }

  test(name('所管課別: each department\'s total and per-category counts = /departments, and its link opens a list of as many'), async () => {
    const sum = await summary();
    const api_ = (await api('departments', { survey: S })).items;
    await open(`#/departments?survey=${encodeURIComponent(S)}`);
    const rows = await tableRows('table.data--groups');
    const bad = [];
    if (rows.length !== api_.length) bad.push(`所管課別 has ${rows.length} rows, /departments ${api_.length}`);
    for (const d of api_) {
      const row = rows.find((r) => r.head === d.name);
      if (!row) { bad.push(`department ${d.name}: no row on 所管課別`); continue; }
      if (cellNumber(row.cells[0]) !== d.total) bad.push(`department ${d.name}: 所管課別 total ${row.cells[0]}, /departments ${d.total}`);
      sum.categories.forEach((c, i) => {
        const want = groupCount(d, c.id);
        if (cellNumber(row.cells[1 + i]) !== want) bad.push(`department ${d.name}, category ${c.id}: 所管課別 ${row.cells[1 + i]}, /departments ${want}`);
      });
    }
    for (const row of rows) {
      if (!row.href) { bad.push(`department ${row.head}: no link`); continue; }
      const got = await follow(row.href);
      if (got.count !== cellNumber(row.cells[0])) bad.push(`department ${row.head}: 所管課別 shows ${row.cells[0]}, its link opens a list saying '${got.text}'`);
    }
    noMismatch(bad, '所管課別 vs API and lists');
  });

  test(name('指標: each KPI card shows the value at as-of and the newest later value with their months, and the attainment at as-of (database)'), async () => {
    const want = kpisAt(S);
    await open(`#/kpis?survey=${encodeURIComponent(S)}`);
    const cards = await page.$$eval('li.kpi', (els) => els.map((e) => ({
      title: (e.querySelector('h2') || { textContent: '' }).textContent.trim(), text: e.textContent })));
    const bad = [];
    for (const k of want) {
      const card = cards.find((c) => c.title === k.title);
      if (!card) { bad.push(`${k.code}: no card titled '${k.title}' on 指標`); continue; }
      const oneLine = card.text.replace(/\s+/g, ' ').trim();
      if (k.asOf && !shows(card.text, k.asOf, k.unit)) bad.push(`${k.code}: value at as-of ${amount(k.asOf.value, k.unit)} (${warekiMonth(k.asOf.date)}) not on its card: '${oneLine}'`);
      if (k.later && !shows(card.text, k.later, k.unit)) bad.push(`${k.code}: newest value ${amount(k.later.value, k.unit)} (${warekiMonth(k.later.date)}) not on its card: '${oneLine}'`);
      if (k.attainment !== null && !card.text.includes(pct(k.attainment))) bad.push(`${k.code}: attainment at as-of ${pct(k.attainment)} not on its card: '${oneLine}'`);
    }
    noMismatch(bad, '指標 vs database');
  });

  test(name('報告書を開く (HTML report): the 調査結果 and reasons tables = API summary'), async () => {
    const sum = await summary();
    await open(`#/?survey=${encodeURIComponent(S)}`);
    const href = await page.getAttribute('#report-button', 'href');
    assert.ok(href, 'no 報告書を開く link on 概要');
    await page.goto(new URL(href, `${BASE}/`).href);
    const tables = await page.$$eval('table', (ts) => ts.map((t) => {
      let h = t.previousElementSibling;
      while (h && !/^H[1-6]$/.test(h.tagName)) h = h.previousElementSibling;
      return {
        heading: h ? h.textContent.trim() : '',
        header: [...t.querySelectorAll('thead th')].map((x) => x.textContent.trim()),
        rows: [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent.trim())),
      };
    }));
    await page.goto('about:blank');
    const bad = [];
    for (const c of sum.categories) {
      const hit = rowFor(tables, c.label);
      if (!hit) { bad.push(`category ${c.id}: no row '${c.label}' in the HTML report`); continue; }
      if (cellNumber(hit.row[1]) !== c.count) bad.push(`category ${c.id}: HTML report ${hit.row[1]}, API count ${c.count}`);
      if (hit.row[2] !== `${c.percent.toFixed(1)}%`) bad.push(`category ${c.id}: HTML report ${hit.row[2]}, API percent ${c.percent}`);
    }
    for (const r of sum.reasons) {
      const hit = rowFor(tables, r.label, (t) => (t.header[0] || '').includes('理由'));
      if (!hit) { bad.push(`reason ${r.id}: no row '${r.label}' in the HTML report's reasons table`); continue; }
      if (cellNumber(hit.row[1]) !== r.count) bad.push(`reason ${r.id}: HTML report ${hit.row[1]}, API count ${r.count}`);
    }
    noMismatch(bad, 'HTML report vs API');
  });
}
