// nginx_language.test.mjs - nginx's own problem documents (413, 429; 502 once the backend is
// stopped, HYOKA_EXPECT_BACKEND_DOWN=1) in the reader's language, chosen from Accept-Language as
// the API chooses (nginx/hyoka.conf: map $hyoka_lang, $hyoka_problem): for every header of the
// table, nginx's Content-Language is the API's for the same header, and the title and detail are
// Japanese exactly when it is ja. Refusals of the request line itself (400, 414) come before any
// header and are in the default language. Run by tests/http/run.sh.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

const base = new URL(process.env.HYOKA_URL);
const backendDown = process.env.HYOKA_EXPECT_BACKEND_DOWN === '1';

// One request through node:http (a body nginx refuses unread: EPIPE/ECONNRESET are no failure).
function send(method, path, lang, body = null) {
  const headers = lang === undefined ? {} : { 'Accept-Language': lang };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers,
      agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (e) => (['EPIPE', 'ECONNRESET'].includes(e.code) ? null : reject(e)));
    if (body !== null) req.write(body);
    req.end();
  });
}

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

// A problem from nginx (not hyoka-fcgi) in language `lang`: its status, members, headers.
function nginxProblem(r, status, lang) {
  assert.equal(r.status, status, r.text.slice(0, 200));
  assert.match(r.headers['content-type'] || '', /^application\/problem\+json/);
  const doc = JSON.parse(r.text);
  assert.equal(doc.status, status);
  assert.equal(r.headers['content-language'], lang, `Content-Language of ${r.text}`);
  assert.match(r.headers.vary || '', /Accept-Language/i);
  for (const k of ['title', 'detail'])
    assert.equal(JAPANESE.test(doc[k]), lang === 'ja', `${k} in ${lang}: ${doc[k]}`);
  return doc;
}

// Headers as browsers and clients send them; nginx must choose as the API does for each.
const headers = [undefined, 'ja', 'JA-jp', 'ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7', 'en',
  'en-US,en;q=0.9,ja;q=0.8', 'fr-FR,fr;q=0.9,ja;q=0.8', 'fr,en;q=0.5', 'de', '*', 'ja;q=0',
  'ja;q=0.001, en;q=0', ' ja , en', 'jav,en'];

const big = Buffer.alloc(1024 * 1024 + 1, 'x'); // over client_max_body_size (1 MiB)

test('the language of nginx\'s 413 is the API\'s for every Accept-Language', { skip: backendDown }, async () => {
  for (const lang of headers) {
    const api = await send('GET', '/api/v1/initiatives?limit=abc', lang);
    assert.equal(api.status, 400, api.text);
    const want = api.headers['content-language'];
    assert.ok(want === 'ja' || want === 'en', `the API's Content-Language for ${lang}: ${want}`);
    const doc = nginxProblem(await send('POST', '/api/v1/summary', lang, big), 413, want);
    assert.equal(doc.type, 'urn:hyoka:problem:body-too-large');
    assert.equal(doc.title, want === 'ja' ? '本文が大きすぎます' : 'Content Too Large');
  }
});

// A malformed (400) or over-long (414) request line is refused before nginx reads any header:
// there is no Accept-Language to go by, and the problem is in the default language, saying so.
test('400 and 414 of the request line: the default language, with Content-Language', { skip: backendDown }, async () => {
  const bad = nginxProblem(await send('GET', '/api/v1/a%00b', 'ja'), 400, 'en');
  assert.equal(bad.type, 'urn:hyoka:problem:bad-request');
  const long = nginxProblem(await send('GET', '/api/v1/initiatives?q=' + 'x'.repeat(20000), 'ja'), 414, 'en');
  assert.equal(long.type, 'urn:hyoka:problem:uri-too-long');
});

test('429 from the sweep\'s rate limit (10/s, burst 20) in the reader\'s language', { skip: backendDown }, async () => {
  for (const lang of ['ja', 'en']) {
    const all = await Promise.all(Array.from({ length: 40 },
      () => send('GET', '/api/v1/rules/sweep?name=nonexistent', lang)));
    const limited = all.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, `40 sweeps at once: none limited (${all.map((r) => r.status)})`);
    for (const r of limited) {
      const doc = nginxProblem(r, 429, lang);
      assert.equal(doc.type, 'urn:hyoka:problem:rate-limited');
      assert.equal(doc.title, lang === 'ja' ? '要求が多すぎます' : 'Too Many Requests');
    }
    await new Promise((resolve) => setTimeout(resolve, 2500)); // the zone refills (10/s)
  }
});

test('502 with the backend stopped in the reader\'s language', { skip: !backendDown }, async () => {
  const ja = nginxProblem(await send('GET', '/api/v1/summary', 'ja-JP,ja;q=0.9'), 502, 'ja');
  assert.equal(ja.type, 'urn:hyoka:problem:backend-down');
  const en = nginxProblem(await send('GET', '/api/v1/summary', 'en-US'), 502, 'en');
  assert.equal(en.title, 'Bad Gateway');
  nginxProblem(await send('GET', '/api/v1/summary'), 502, 'en');
});
