// faults.test.mjs - hostile and broken requests through nginx (tests/http/run.sh starts the stack
// and sets HYOKA_URL and HYOKA_TOKEN): every answer under /api/ is application/problem+json, nginx's
// own refusals included, while the dashboard keeps nginx's HTML pages; a write is authorised before
// its size counts; an over-long bearer token is named as such.
//   HYOKA_URL=http://127.0.0.1:PORT HYOKA_TOKEN=... node --test tests/http/faults.test.mjs
// node:http rather than fetch: fetch refuses TRACE and cannot choose the source address.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

const base = new URL(process.env.HYOKA_URL);
const token = process.env.HYOKA_TOKEN;

// One request; resolves {status, type, text, headers}. A body is written after the headers; the
// server may answer and close before reading it (EPIPE/ECONNRESET then are not failures).
function send(method, path, { headers = {}, body = null, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers,
      localAddress, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        type: res.headers['content-type'] || '', text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (e) => (['EPIPE', 'ECONNRESET'].includes(e.code) ? null : reject(e)));
    if (body !== null) req.write(body);
    req.end();
  });
}

function isProblem(r, status) {
  assert.equal(r.status, status, `status (body: ${r.text.slice(0, 200)})`);
  assert.match(r.type, /^application\/problem\+json/, `content type of a ${status}`);
  const doc = JSON.parse(r.text);
  assert.equal(doc.status, status, 'the document says the same status');
  for (const k of ['type', 'title', 'detail']) assert.equal(typeof doc[k], 'string', `problem has ${k}`);
  return doc;
}

const isHtml = (r, status) => {
  assert.equal(r.status, status);
  assert.match(r.type, /^text\/html/, `nginx's own page for ${status} outside /api/`);
};

const big = Buffer.alloc(2 * 1024 * 1024, 'x'); // over nginx's client_max_body_size (1 MiB)

test('nginx refusals under /api/ are problem+json: %00 (400), TRACE (405), a huge header (400)', async () => {
  isProblem(await send('GET', '/api/v1/a%00b'), 400);
  isProblem(await send('GET', '/api/v1/summary%00'), 400);
  isProblem(await send('TRACE', '/api/v1/summary'), 405);
  isProblem(await send('GET', '/api/v1/summary', { headers: { 'x-big': 'x'.repeat(20000) } }), 400);
  isProblem(await send('GET', '/api/v1/.problems/any'), 404); // the error bodies are internal
});

test('/api/v1/metrics from an address that may not read it: 403 problem+json', async () => {
  isProblem(await send('GET', '/api/v1/metrics', { localAddress: '127.0.0.2' }), 403);
  assert.equal((await send('GET', '/api/v1/metrics')).status, 200, 'allowed from 127.0.0.1');
});

test('the dashboard keeps nginx\'s HTML error pages', async () => {
  isHtml(await send('GET', '/a%00b'), 400);
  isHtml(await send('TRACE', '/index.html'), 405);
  isHtml(await send('GET', '/no-such-page.html'), 404);
  isHtml(await send('GET', '/index.html', { headers: { 'x-big': 'x'.repeat(20000) } }), 400);
});

test('an oversized POST: 401 without a token, 403 with a wrong one, 413 only when authorised', async () => {
  const post = (headers) => send('POST', '/api/v1/evaluations', {
    headers: { 'content-type': 'application/json', 'content-length': big.length, ...headers }, body: big });
  const r401 = isProblem(await post({}), 401);
  assert.match(r401.detail, /Authorization: Bearer/);
  isProblem(await post({ authorization: `Bearer x${token}` }), 403);
  const r413 = isProblem(await post({ authorization: `Bearer ${token}` }), 413);
  assert.match(r413.detail, /larger/);
  // The same without a Content-Length (chunked): nginx stops reading at 1 MiB.
  const chunked = (headers) => send('POST', '/api/v1/evaluations', {
    headers: { 'transfer-encoding': 'chunked', ...headers }, body: big });
  isProblem(await chunked({}), 401);
  isProblem(await chunked({ authorization: `Bearer ${token}` }), 413);
});

test('an over-long bearer token is 401 saying so, with the limit (512 bytes)', async () => {
  for (const n of [513, 15000]) {
    const r = await send('POST', '/api/v1/evaluations', { headers: { authorization: `Bearer ${'a'.repeat(n)}` } });
    const doc = isProblem(r, 401);
    assert.equal(doc.detail, `the bearer token has ${n} bytes; at most 512 are accepted`);
    assert.match(r.headers['www-authenticate'] || '', /^Bearer /);
  }
  // At the limit it is an ordinary wrong token.
  isProblem(await send('POST', '/api/v1/evaluations', { headers: { authorization: `Bearer ${'a'.repeat(512)}` } }), 403);
  const missing = isProblem(await send('POST', '/api/v1/evaluations'), 401);
  assert.match(missing.detail, /needs an Authorization: Bearer TOKEN header/);
  const basic = isProblem(await send('POST', '/api/v1/evaluations', { headers: { authorization: 'Basic eDp5' } }), 401);
  assert.match(basic.detail, /must be 'Bearer TOKEN'/);
});
