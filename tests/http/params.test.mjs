// params.test.mjs - hostile query strings and paths through the real nginx, hyoka-fcgi and PostgreSQL
// (started by run.sh). A parameter without '=' or with an empty value, on every route of the route
// table (read from fcgi/route.c, so a new route is covered at once), is a 400 problem naming it
// (SPEC v1.1; `?survey` used to kill the worker that read it); q=%7F is refused as the importer
// refuses DEL; a burst of malformed requests leaves every worker alive (same PIDs, no restart
// counted) and the API answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const base = process.env.HYOKA_URL;
const dir = process.env.HYOKA_STACK_DIR;
assert.ok(base && dir, 'HYOKA_URL and HYOKA_STACK_DIR must be set (tests/http/run.sh does it)');

const root = new URL('../../', import.meta.url);
const routes = [...readFileSync(new URL('fcgi/route.c', root), 'utf8')
  .matchAll(/\{M_(GET|POST), "([^"]+)"/g)]
  .map(([, method, pattern]) => ({ method, path: pattern.replace('{code}', '1-2-01') }))
  .filter((r) => r.path.startsWith('/api/')); // nginx passes only /api/ to hyoka-fcgi
// Locations that nginx limits more strictly than the API as a whole (nginx/hyoka-locations.conf:
// `location = PATH { … limit_req zone=hyoka_sweep …`): a burst of requests may get nginx's 429 there.
const strictlyLimited = new Set([...readFileSync(new URL('nginx/hyoka-locations.conf', root), 'utf8')
  .matchAll(/location = (\S+) \{([^}]*)\}/g)]
  .filter(([, , body]) => /limit_req zone=(?!hyoka_api\b)/.test(body)).map(([, path]) => path));

async function get(path, init) {
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json = null;
  if ((res.headers.get('content-type') || '').includes('json')) json = JSON.parse(text);
  return { status: res.status, type: res.headers.get('content-type'), text, json };
}

function isProblem(r, status, parameter, what) {
  assert.equal(r.status, status, `${what}: ${status} expected, got ${r.status}: ${r.text}`);
  assert.match(r.type, /^application\/problem\+json/, what);
  assert.equal(r.json.status, status, what);
  assert.equal(r.json.parameter, parameter, `${what}: ${r.text}`);
}

const master = readFileSync(`${dir}/hyoka-fcgi.pid`, 'utf8').trim();
const workers = () => execFileSync('pgrep', ['-P', master], { encoding: 'utf8' }).trim().split('\n').sort();
async function restarts() {
  const m = (await get('/api/v1/metrics')).text.match(/^hyoka_worker_restarts_total (\d+)$/m);
  assert.ok(m, 'the metrics have hyoka_worker_restarts_total');
  return Number(m[1]);
}
const before = { workers: workers(), restarts: await restarts() };

test('the route table was read: every /api/ route of fcgi/route.c', () => {
  assert.ok(routes.length >= 13, `${routes.length} routes`);
  assert.ok(routes.some((r) => r.method === 'POST'));
});

test('?survey and ?survey= on every route: 400 naming survey, whether the route takes it or not', async () => {
  for (const { method, path } of routes) {
    for (const q of ['survey', 'survey=', 'survey&survey=2023', 'survey&format=json']) {
      isProblem(await get(`${path}?${q}`, { method }), 400, 'survey', `${method} ${path}?${q}`);
    }
    if (method === 'GET') {
      const head = await fetch(`${base}${path}?survey`, { method: 'HEAD' });
      assert.equal(head.status, 400, `HEAD ${path}?survey`);
    }
  }
});

test('every parameter of /initiatives needs a value, but q: q= lists everything', async () => {
  for (const p of ['survey', 'category', 'reason', 'flag', 'department', 'measure', 'sort', 'limit',
    'offset', 'format']) {
    for (const q of [p, `${p}=`]) isProblem(await get(`/api/v1/initiatives?${q}`), 400, p, q);
  }
  for (const p of ['survey', 'format']) {
    for (const path of ['/api/v1/departments', '/api/v1/measures', '/api/v1/kpis', '/api/v1/report']) {
      isProblem(await get(`${path}?${p}`), 400, p, `${path}?${p}`);
    }
  }
  const all = await get('/api/v1/initiatives?limit=1');
  for (const q of ['q', 'q=', 'q&limit=1', '&&q=&&limit=1&&']) {
    const r = await get(`/api/v1/initiatives?${q}`);
    assert.equal(r.status, 200, `?${q}: ${r.text}`);
    assert.equal(r.json.total, all.json.total, `?${q} lists everything`);
  }
});

test('q=%7F and the other control characters the importer refuses are 400 naming q', async () => {
  for (const v of ['%7F', 'a%7Fb', '%09', 'a%0Ab', '%0D', '%1F', '%00']) {
    isProblem(await get(`/api/v1/initiatives?q=${v}`), 400, 'q', `q=${v}`);
  }
  for (const v of ['%7F', '%09']) {
    isProblem(await get(`/api/v1/initiatives?department=${v}`), 400, 'department', `department=${v}`);
    isProblem(await get(`/api/v1/summary?survey=2023${v}`), 400, 'survey', `survey=2023${v}`);
  }
  assert.equal((await get('/api/v1/initiatives?q=%E5%B8%82')).status, 200, 'Japanese text is fine');
});

// [query of /api/v1/initiatives, status, parameter named (undefined: none)]
const malformed = [
  ['=', 400, undefined], ['=x', 400, undefined], ['&=&', 400, undefined], ['%', 400, undefined],
  ['%00=1', 400, undefined], ['%7F=1', 400, undefined], ['%FF=1', 400, undefined],
  ['q&q', 400, 'q'], ['limit=5&limit', 400, 'limit'], ['li%6Dit=5&limit=6', 400, 'limit'],
  ['q=%ZZ', 400, 'q'], ['q=%4', 400, 'q'], ['q=%', 400, 'q'], ['q=%FF%FE', 400, 'q'],
  ['q=%E3%81', 400, 'q'], ['q=%C0%AF', 400, 'q'], ['q=%ED%A0%80', 400, 'q'],
  ['q=' + 'x'.repeat(1025), 400, 'q'], ['a%3Db=1', 400, 'a=b'],
  [Array.from({ length: 33 }, (_, i) => `p${i}=1`).join('&'), 400, undefined],
];

test('malformed query strings: 400 problems, each naming what it can', async () => {
  for (const [q, status, param] of malformed) {
    isProblem(await get(`/api/v1/initiatives?${q}`), status, param, `?${q.slice(0, 60)}`);
  }
  for (const q of ['&&&', '&', '&limit=2&']) {
    assert.equal((await get(`/api/v1/initiatives?${q}`)).status, 200, `?${q}: empty pairs say nothing`);
  }
});

test('a decoded path that is not UTF-8 text is 400, not a 404 that cannot quote it', async () => {
  for (const p of ['/api/v1/initiatives/%FF', '/api/v1/initiatives/%E3%81', '/api/v1/initiatives/a%01b',
    '/api/v1/initiatives/a%7Fb']) {
    isProblem(await get(p), 400, undefined, p);
  }
});

test('500 malformed requests, 16 at a time: no worker dies and the API answers as before', async () => {
  const queries = [...routes.flatMap((r) => [`${r.path}?survey`, `${r.path}?survey=`]),
    ...malformed.map(([q]) => `/api/v1/initiatives?${q}`), '/api/v1/initiatives?q=%7F'];
  const statuses = new Map();
  let next = 0, limited = 0;
  async function client() {
    while (next < 500) {
      const path = queries[next++ % queries.length];
      const r = await fetch(base + path);
      const text = await r.text();
      if (r.status === 429) {
        // nginx's own answer, and only where a stricter rate applies (16 clients exceed its burst)
        assert.ok(strictlyLimited.has(path.split('?')[0]), `429 outside a strictly limited location: ${path}`);
        assert.match(text, /urn:hyoka:problem:rate-limited/);
        limited++;
        continue;
      }
      statuses.set(r.status, (statuses.get(r.status) || 0) + 1);
    }
  }
  assert.ok(strictlyLimited.has('/api/v1/rules/sweep'), 'the sweep location read from nginx/hyoka-locations.conf');
  await Promise.all(Array.from({ length: 16 }, client));
  assert.deepEqual([...statuses.keys()].sort(), [400, 405], `only 400s (and 405 for GET of a POST route; ${limited} rate-limited by nginx): ${JSON.stringify([...statuses])}`);
  assert.deepEqual(workers(), before.workers, 'the same worker processes as before the first request');
  assert.equal(await restarts(), before.restarts, 'no worker restart counted');
  const s = await get('/api/v1/summary');
  assert.equal(s.status, 200);
  assert.equal(s.json.total, 105);
  const l = await get('/api/v1/initiatives?q=dx&limit=5');
  assert.equal(l.status, 200);
  assert.ok(l.json.total > 0);
});
