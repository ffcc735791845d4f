// language.test.mjs - the API's problems in the reader's language (issue 12): Accept-Language
// (ja / en, q-values) chooses, else api.language, else English; the problem's title and detail
// are translated, its type, status and parameter are not, and Content-Language and
// Vary: Accept-Language say so. Run by tests/http/run.sh against the real stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const base = process.env.HYOKA_URL;
assert.ok(base, 'HYOKA_URL must be set (tests/http/run.sh does it)');
// What api.language the stack's config has: run.sh runs this file again after setting it to ja.
const configured = process.env.HYOKA_EXPECT_DEFAULT_LANGUAGE || 'en';

async function get(path, lang) {
  const headers = lang === undefined ? {} : { 'Accept-Language': lang };
  const res = await fetch(base + path, { headers });
  const text = await res.text();
  return {
    status: res.status, text, json: JSON.parse(text),
    lang: res.headers.get('content-language'), vary: res.headers.get('vary') || '',
  };
}

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;
// Japanese text: Japanese characters, and no two English words in a row outside quotes.
function isJapanese(s) {
  const rest = s.replace(/'[^']*'|"[^"]*"/g, ' ');
  return JAPANESE.test(rest) && !/\b[A-Za-z]{2,} +[A-Za-z]{2,}\b/.test(rest);
}

const bad = '/api/v1/initiatives?limit=abc';

test('Accept-Language: ja gives a Japanese problem naming the same parameter', async () => {
  const ja = await get(bad, 'ja');
  const en = await get(bad, 'en');
  for (const r of [ja, en]) {
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.type, 'urn:hyoka:problem:bad-parameter');
    assert.equal(r.json.parameter, 'limit');
    assert.match(r.vary, /Accept-Language/i);
  }
  assert.equal(ja.lang, 'ja');
  assert.equal(ja.json.title, '要求が正しくありません');
  assert.ok(isJapanese(ja.json.detail), `not Japanese: ${ja.json.detail}`);
  assert.ok(ja.json.detail.includes("'limit'") && ja.json.detail.includes("'abc'"), ja.json.detail);
  assert.equal(en.lang, 'en');
  assert.equal(en.json.title, 'Bad Request');
  assert.match(en.json.detail, /^parameter 'limit' must be an integer from \d+ to \d+, not 'abc'$/);
});

test('q-values, regions and * choose as RFC 9110 says', async () => {
  const cases = [
    ['ja-JP', 'ja'], ['en-US,en;q=0.9', 'en'], ['en;q=0.5, ja;q=0.8', 'ja'],
    ['ja;q=0, en', 'en'], ['fr, ja;q=0.3', 'ja'], ['JA', 'ja'], ['*;q=0.5, ja', 'ja'],
  ];
  for (const [header, want] of cases) {
    const r = await get(bad, header);
    assert.equal(r.lang, want, `Accept-Language: ${header}`);
    assert.equal(r.json.title, want === 'ja' ? '要求が正しくありません' : 'Bad Request', header);
  }
});

test(`no Accept-Language (or none we speak, or *) is api.language: ${configured}`, async () => {
  // undefined: fetch then sends "Accept-Language: *" itself (any language: the server's choice)
  for (const header of [undefined, 'fr', 'de;q=0.9', '', '*', 'fr;q=1, *;q=0.5']) {
    const r = await get(bad, header);
    assert.equal(r.lang, configured, `Accept-Language: ${header}`);
    if (configured === 'ja') assert.ok(isJapanese(r.json.detail), r.json.detail);
    else assert.match(r.json.detail, /^parameter 'limit'/);
  }
});

test('other problems too: unknown parameter, unknown initiative, unknown route', async () => {
  const paths = ['/api/v1/initiatives?colour=red', '/api/v1/initiatives/9-9-99', '/api/v1/nothing'];
  for (const p of paths) {
    const ja = await get(p, 'ja');
    const en = await get(p, 'en');
    assert.equal(ja.status, en.status, p);
    assert.equal(ja.json.type, en.json.type, p);
    assert.equal(ja.json.parameter, en.json.parameter, p);
    assert.equal(ja.lang, 'ja', p);
    assert.ok(isJapanese(ja.json.title) && isJapanese(ja.json.detail), `${p}: ${ja.text}`);
    assert.equal(en.lang, 'en', p);
    assert.ok(!JAPANESE.test(en.json.title), `${p}: ${en.text}`);
  }
});

test('a success answer does not depend on the language', async () => {
  const ja = await fetch(`${base}/api/v1/surveys`, { headers: { 'Accept-Language': 'ja' } });
  const en = await fetch(`${base}/api/v1/surveys`, { headers: { 'Accept-Language': 'en' } });
  assert.equal(ja.status, 200);
  assert.equal(await ja.text(), await en.text());
});
