// hostile.mjs - the requests of tests/chaos/run.sh that a client or the load generator would not
// send: hostile HTTP through nginx, malformed bytes over TCP to nginx and over the FastCGI socket
// to hyoka-fcgi, and concurrent evaluation POSTs.
//   node hostile.mjs hostile URL SOCKET    one line per case: "ok|not ok<TAB>NAME<TAB>want W, got G";
//                                          a final JSON line {total, failed}; exit 1 on any miss
//   node hostile.mjs posts URL N ROUNDS    ROUNDS rounds of N POST /api/v1/evaluations of survey
//                                          2023 at once (token: $HYOKA_TOKEN); one JSON line {total, statuses,
//                                          failures, nfailures, created}; exit 1 unless all are 201/200
// Every socket has a deadline (CASE_MS), so a server that never answers is a failed case, not a hang.
import net from 'node:net';

const CASE_MS = 8000; // > hyoka-fcgi's 5 s read timeout for a request sent halfway
const [mode, base, arg1, arg2] = process.argv.slice(2);
const host = new URL(base || 'http://127.0.0.1').hostname, port = +new URL(base || 'http://127.0.0.1:1').port;

// ---- raw exchanges -----------------------------------------------------------------------------
// Sends `chunks` (Buffers) over a new connection, half-closes if `end`, and collects what comes back
// until the peer closes or CASE_MS pass: {data: Buffer, closed: bool, error?}.
function exchange(connectOpts, chunks, end) {
  return new Promise((resolve) => {
    const parts = [];
    let done = false;
    const s = net.createConnection(connectOpts);
    const finish = (closed, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(parts), closed, error });
    };
    const timer = setTimeout(() => finish(false), CASE_MS);
    s.on('connect', () => { for (const c of chunks) s.write(c); if (end) s.end(); });
    s.on('data', (d) => { parts.push(d); if (connectOpts.until?.(Buffer.concat(parts))) finish(true); });
    s.on('error', (e) => finish(true, e.code || e.message));
    s.on('close', () => finish(true));
  });
}

// HTTP over TCP to nginx: the status of the first answer, or "closed" (no answer) / "timeout".
async function http(raw, end = false) {
  const r = await exchange({ host, port }, [Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1')], end);
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(r.data.toString('latin1'));
  if (m) return m[1];
  return r.closed ? 'closed' : 'timeout';
}

// FastCGI records, built field by field so that each can be wrong.
function record(type, id, body, { version = 1, length = body.length, pad } = {}) {
  const padding = pad ?? (8 - (body.length % 8)) % 8;
  const h = Buffer.from([version, type, id >> 8, id & 255, (length >> 8) & 255, length & 255, padding, 0]);
  return Buffer.concat([h, body, Buffer.alloc(padding)]);
}
const lenField = (n) => (n < 128 ? Buffer.from([n])
  : Buffer.from([((n >>> 24) & 127) | 128, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]));
const pair = (name, value) => {
  const n = Buffer.from(name, 'latin1'), v = Buffer.from(value, 'latin1');
  return Buffer.concat([lenField(n.length), lenField(v.length), n, v]);
};
// PARAMS records (a stream: split into records of at most 65535 bytes) and their empty end.
function params(pairs, id = 1) {
  const all = Buffer.concat(pairs), out = [];
  for (let i = 0; i < all.length; i += 65528) out.push(record(4, id, all.subarray(i, i + 65528)));
  out.push(record(4, id, Buffer.alloc(0)));
  return Buffer.concat(out);
}
const begin = (id = 1, role = 1, keep = 0) => record(1, id, Buffer.from([0, role, keep, 0, 0, 0, 0, 0]));
const stdin = (id = 1, body = Buffer.alloc(0)) =>
  Buffer.concat([...(body.length ? [record(5, id, body)] : []), record(5, id, Buffer.alloc(0))]);
const cgi = (method, uri, query, extra = []) => [pair('REQUEST_METHOD', method), pair('DOCUMENT_URI', uri),
  pair('QUERY_STRING', query), pair('SERVER_PROTOCOL', 'HTTP/1.1'), pair('REMOTE_ADDR', '127.0.0.1'), ...extra];
const request = (method, uri, query = '', extra = []) =>
  Buffer.concat([begin(), params(cgi(method, uri, query, extra)), stdin()]);

// Parses FastCGI records: the HTTP status of the answer, or what the server said instead
// (unknown-role, cant-mpx, unknown-type, values), or closed / timeout.
function fcgiOutcome(data, closed) {
  let out = Buffer.alloc(0);
  for (let i = 0; i + 8 <= data.length;) {
    const type = data[i + 1], len = (data[i + 4] << 8) | data[i + 5], pad = data[i + 6];
    const body = data.subarray(i + 8, i + 8 + len);
    i += 8 + len + pad;
    if (type === 6) out = Buffer.concat([out, body]);
    if (type === 10) return 'values';
    if (type === 11) return 'unknown-type';
    if (type === 3) {
      const ps = body[4];
      if (ps === 1) return 'cant-mpx';
      if (ps === 3) return 'unknown-role';
      const m = /^Status: (\d{3})/m.exec(out.toString('latin1'));
      return m ? m[1] : '200';
    }
  }
  return closed ? 'closed' : 'timeout';
}
const fcgiDone = (d) => fcgiOutcome(d, false) !== 'timeout';
async function fcgi(sock, bytes, end = false) {
  const r = await exchange({ path: sock, until: fcgiDone }, [bytes], end);
  return fcgiOutcome(r.data, r.closed);
}

// ---- hostile mode ------------------------------------------------------------------------------
let total = 0, failed = 0;
function report(name, want, got) {
  total++;
  const ok = want.split('|').includes(String(got));
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'not ok'}\t${name}\twant ${want}, got ${got}`);
}
// fetch through nginx: "STATUS" for the answer, "STATUS html" when an /api/ answer that is not 200
// is not problem+json (SPEC: API errors are application/problem+json), the error code otherwise.
async function get(path, init = {}) {
  try {
    const res = await fetch(base + path, { ...init, signal: AbortSignal.timeout(CASE_MS) });
    const type = res.headers.get('content-type') || '';
    const body = await res.text();
    if (res.status !== 200 && !type.startsWith('application/problem+json')) return `${res.status} not-problem`;
    if (res.status !== 200 && JSON.parse(body).status !== res.status) return `${res.status} bad-problem`;
    return String(res.status);
  } catch (e) {
    return String(e.cause?.code || e.name);
  }
}
// curl for what fetch cannot do: a source address other than 127.0.0.1, a bare TRACE.
async function curl(args) {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{content_type}', '--max-time', '8', ...args],
      (err, out) => {
        const [status, type = ''] = out.trim().split(' ');
        if (err && !status) return resolve(`curl-error ${err.code}`);
        resolve(status !== '200' && !type.startsWith('application/problem+json') ? `${status} not-problem` : status);
      });
  });
}

async function hostile(sock) {
  const token = 'Bearer ' + 'a'.repeat(15000 - 7);
  // The cases of the issue, through nginx.
  const routes = ['summary', 'initiatives', 'initiatives/1-2-01', 'surveys', 'departments', 'measures', 'kpis',
    'projects', 'rules', 'report', 'health', 'metrics'];
  for (const r of routes) report(`GET /api/v1/${r}?survey (no '=')`, '400', await get(`/api/v1/${r}?survey`));
  report('GET /api/v1/summary?survey&format (two without =)', '400', await get('/api/v1/summary?survey&format'));
  report('GET /api/v1/evaluations?survey', '405', await get('/api/v1/evaluations?survey'));
  report('GET /api/v1/summ%00ary (%00 in the path)', '400', await get('/api/v1/summ%00ary'));
  report('GET /api/v1/summary%00', '400', await get('/api/v1/summary%00'));
  report('TRACE /api/v1/summary', '405', await curl(['-X', 'TRACE', base + '/api/v1/summary']));
  report('GET /api/v1/metrics from 127.0.0.2 (denied)', '403',
    await curl(['--interface', '127.0.0.2', base + '/api/v1/metrics']));
  // Over the token limit: 401 whose detail says so (tests/http/faults.test.mjs checks the text).
  report('POST /api/v1/evaluations with a 15,000-byte bearer token', '401',
    await get('/api/v1/evaluations', { method: 'POST', headers: { Authorization: token } }));
  report('POST /api/v1/evaluations, no token, 2 MiB body', '401',
    await get('/api/v1/evaluations', { method: 'POST', body: 'x'.repeat(2 << 20) }));
  report('GET /api/v1/initiatives?q=%7F (a control character)', '400', await get('/api/v1/initiatives?q=%7F'));
  report('GET /api/v1/initiatives?q=%01', '400', await get('/api/v1/initiatives?q=%01'));

  // Raw HTTP over TCP to nginx: a request line and headers as the bytes say.
  const req = (line, headers = 'Host: x\r\n') => `${line}\r\n${headers}Connection: close\r\n\r\n`;
  const many = Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('&');
  const rawHttp = [
    ['well-formed GET (control)', req('GET /api/v1/summary HTTP/1.1'), '200'],
    ['HTTP/1.0 without Host (control)', 'GET /api/v1/health HTTP/1.0\r\n\r\n', '200'],
    ['HTTP/1.1 without Host', 'GET /api/v1/summary HTTP/1.1\r\nConnection: close\r\n\r\n', '400'],
    ['version HTTP/9.9', req('GET /api/v1/summary HTTP/9.9'), '505'],
    ['version HTTP/1.x', req('GET /api/v1/summary HTTP/1.x'), '400'],
    ['version HTTP/01.1000', req('GET /api/v1/summary HTTP/01.1000'), '400'],
    ['method with a NUL', req('GE\0T /api/v1/summary HTTP/1.1'), '400'],
    ['lower-case method', req('get /api/v1/summary HTTP/1.1'), '400'],
    ['NUL in the path', req('GET /api/v1/sum\0mary HTTP/1.1'), '400'],
    ['NUL in a header value', req('GET /api/v1/summary HTTP/1.1', 'Host: x\r\nX-A: a\0b\r\n'), '400'],
    ['bad percent-encoding in the path', req('GET /api/v1/summary%zz HTTP/1.1'), '400'],
    ['a truncated percent at the end of the path', req('GET /api/v1/summary% HTTP/1.1'), '400'],
    ['bad percent-encoding in the query', req('GET /api/v1/initiatives?q=%zz HTTP/1.1'), '400'],
    ['invalid UTF-8 in the query', req('GET /api/v1/initiatives?q=%C3%28 HTTP/1.1'), '400'],
    ['a path above the root', req('GET /api/v1/../../../etc/passwd HTTP/1.1'), '400'],
    ['100 query parameters', req(`GET /api/v1/initiatives?${many} HTTP/1.1`), '400'],
    ['a duplicate query parameter', req('GET /api/v1/initiatives?survey=2023&survey=2022 HTTP/1.1'), '400'],
    ['an unknown query parameter', req('GET /api/v1/summary?bogus=1 HTTP/1.1'), '400'],
    ['a 4,000-byte path (under nginx limit, over hyoka)', req(`GET /api/v1/${'a'.repeat(4000)} HTTP/1.1`), '414'],
    ['a 20,000-byte path (over nginx limit)', req(`GET /api/v1/${'a'.repeat(20000)} HTTP/1.1`), '414'],
    ['a 12,000-byte query', req(`GET /api/v1/initiatives?q=${'a'.repeat(12000)} HTTP/1.1`), '414'],
    ['a 40,000-byte header', req('GET /api/v1/summary HTTP/1.1', `Host: x\r\nX-A: ${'a'.repeat(40000)}\r\n`), '400'],
    ['Content-Length: -5', req('POST /api/v1/evaluations HTTP/1.1', 'Host: x\r\nContent-Length: -5\r\n'), '400'],
    ['two Content-Length headers', req('POST /api/v1/evaluations HTTP/1.1', 'Host: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n') + 'ab', '400'],
    ['a chunk size that is not hex', req('POST /api/v1/evaluations HTTP/1.1', 'Host: x\r\nTransfer-Encoding: chunked\r\n') + 'zz\r\nab\r\n0\r\n\r\n', '400'],
    ['an unknown Transfer-Encoding', req('POST /api/v1/evaluations HTTP/1.1', 'Host: x\r\nTransfer-Encoding: gzip\r\n'), '501'],
  ];
  for (const [name, bytes, want] of rawHttp) report(`HTTP: ${name}`, want, await http(bytes));
  report('HTTP: a request line cut off, then the client closes', 'closed', await http('GET /api/v1/sum', true));
  report('HTTP: headers cut off, then the client closes', 'closed', await http('GET /api/v1/summary HTTP/1.1\r\nHost: x\r\nX-A: 1', true));

  // Raw FastCGI to hyoka-fcgi's socket: framing that libfcgi must refuse, values hyoka must refuse.
  const ok = request('GET', '/api/v1/health');
  const extra100 = Array.from({ length: 100 }, (_, i) => pair(`HTTP_X_${i}`, 'v'));
  const hugePair = Buffer.concat([lenField(0x7fffffff), lenField(0x7fffffff), Buffer.from('AB')]);
  const rawFcgi = [
    ['well-formed GET /api/v1/health (control)', ok, '200', false],
    ['version 0', Buffer.concat([record(1, 1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]), { version: 0 }), ok.subarray(16)]), 'closed', true],
    ['version 2', Buffer.concat([record(1, 1, Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]), { version: 2 }), ok.subarray(16)]), 'closed', true],
    ['a record header cut off', ok.subarray(0, 5), 'closed', true],
    ['a begin record cut off', ok.subarray(0, 11), 'closed', true],
    ['params declaring 65,535 bytes, sending 16', Buffer.concat([begin(), record(4, 1, Buffer.alloc(16, 65), { length: 65535, pad: 0 })]), 'closed', true],
    ['a name and value of 2^31-1 bytes each', Buffer.concat([begin(), record(4, 1, hugePair)]), 'closed', true],
    ['a pair longer than its params stream', Buffer.concat([begin(), params([pair('REQUEST_METHOD', 'GET'), Buffer.from([100, 3, 65, 66])]), stdin()]), 'closed|400', true],
    ['padding that lies (255 declared, none sent)', Buffer.concat([begin(), record(4, 1, Buffer.from(pair('A', 'b')), { pad: 255 })]), 'closed', true],
    // libfcgi hands any role to hyoka, which serves it as a responder: harmless behind nginx.
    ['unknown role (authorizer)', Buffer.concat([begin(1, 2), params(cgi('GET', '/api/v1/health', '')), stdin()]), 'unknown-role|closed|200', false],
    ['unknown record type 99 for the request', Buffer.concat([begin(), record(99, 1, Buffer.alloc(8)), params(cgi('GET', '/api/v1/health', '')), stdin()]), '200|closed', false],
    ['management record of unknown type', record(99, 0, Buffer.alloc(8)), 'unknown-type|closed', true],
    ['FCGI_GET_VALUES', record(9, 0, pair('FCGI_MPXS_CONNS', '')), 'values|closed', true],
    ['request id 0 for a begin record', Buffer.concat([begin(0), params(cgi('GET', '/api/v1/health', ''), 0), stdin(0)]), 'closed|unknown-type', true],
    ['a second request on the connection before the first ends',
      Buffer.concat([begin(1), begin(2), params(cgi('GET', '/api/v1/health', '')), stdin()]), '200|cant-mpx', false],
    ['NUL in DOCUMENT_URI', request('GET', '/api/v1/sum\0mary'), '400|404', false],
    ['NUL in QUERY_STRING', request('GET', '/api/v1/initiatives', 'q=a\0b'), '400|200', false],
    ['bad percent-encoding in QUERY_STRING', request('GET', '/api/v1/initiatives', 'q=%G1'), '400', false],
    ['bad percent-encoding in DOCUMENT_URI', request('GET', '/api/v1/summary%zz'), '400|404', false],
    ['a parameter without = (?survey)', request('GET', '/api/v1/summary', 'survey'), '400', false],
    ['100 query parameters', request('GET', '/api/v1/initiatives', many), '400', false],
    ['a duplicate query parameter', request('GET', '/api/v1/initiatives', 'survey=2023&survey=2022'), '400', false],
    ['100 extra CGI parameters', request('GET', '/api/v1/health', '', extra100), '200', false],
    ['DOCUMENT_URI twice', Buffer.concat([begin(), params([...cgi('GET', '/api/v1/health', ''), pair('DOCUMENT_URI', '/api/v1/nothing')]), stdin()]), '200|400|404', false],
    // nginx always sends one; without it hyoka takes GET.
    ['no REQUEST_METHOD', Buffer.concat([begin(), params([pair('DOCUMENT_URI', '/api/v1/health')]), stdin()]), '200|400|405', false],
    ['REQUEST_METHOD of 10,000 bytes', request('X'.repeat(10000), '/api/v1/health'), '400|405', false],
    ['a 100,000-byte DOCUMENT_URI', request('GET', '/api/v1/' + 'a'.repeat(100000)), '414', false],
    ['a 100,000-byte QUERY_STRING', request('GET', '/api/v1/initiatives', 'q=' + 'a'.repeat(100000)), '414', false],
    ['POST whose CONTENT_LENGTH says more than is sent', Buffer.concat([begin(), params(cgi('POST', '/api/v1/evaluations', '', [pair('CONTENT_LENGTH', '100')])), stdin(1, Buffer.from('{}'))]), '401', false],
    ['POST with CONTENT_LENGTH -1', Buffer.concat([begin(), params(cgi('POST', '/api/v1/evaluations', '', [pair('CONTENT_LENGTH', '-1')])), stdin()]), '400|401', false],
    ['POST with CONTENT_LENGTH 10^30', Buffer.concat([begin(), params(cgi('POST', '/api/v1/evaluations', '', [pair('CONTENT_LENGTH', '1' + '0'.repeat(30))])), stdin()]), '400|401|413', false],
  ];
  for (const [name, bytes, want, end] of rawFcgi) report(`FastCGI: ${name}`, want, await fcgi(sock, bytes, end));
  report('FastCGI: a well-formed request afterwards (control)', '200', await fcgi(sock, ok));
  console.log(JSON.stringify({ total, failed }));
  process.exit(failed ? 1 : 0);
}

// ---- posts mode --------------------------------------------------------------------------------
async function posts(n, rounds) {
  const statuses = {}, failures = [];
  let created = 0, count = 0;
  const one = async () => {
    try {
      const res = await fetch(base + '/api/v1/evaluations', { method: 'POST',
        headers: { Authorization: 'Bearer ' + process.env.HYOKA_TOKEN }, body: '{"survey": "2023"}', signal: AbortSignal.timeout(60000) });
      const body = await res.text();
      statuses[res.status] = (statuses[res.status] || 0) + 1;
      if (res.status === 201) created++;
      if (res.status !== 201 && res.status !== 200) failures.push({ status: res.status, body: body.slice(0, 200) });
      else JSON.parse(body);
    } catch (e) {
      failures.push({ error: String(e.cause?.code || e.message) });
    }
    count++;
  };
  for (let r = 0; r < rounds; r++) await Promise.all(Array.from({ length: n }, one));
  console.log(JSON.stringify({ total: count, statuses, created, failures: failures.slice(0, 10), nfailures: failures.length }));
  process.exit(failures.length ? 1 : 0);
}

if (mode === 'hostile') await hostile(arg1);
else if (mode === 'posts') await posts(+arg1, +arg2);
else {
  console.error('usage: node hostile.mjs hostile URL SOCKET | posts URL N ROUNDS');
  process.exit(2);
}
