// fcgi_raw.mjs - talks FastCGI to hyoka-fcgi's socket directly (no nginx), for the checks of
// tests/http/run.sh that need control over connections: many at once, garbage, idle ones.
//   node fcgi_raw.mjs SOCKET many N        N connections, one request each, all kept open
//   node fcgi_raw.mjs SOCKET garbage       an HTTP request line instead of FastCGI, then a request
//   node fcgi_raw.mjs SOCKET shed          idle kept connections are handed back before a request
//                                          waits on the database (needs a server with 1 worker)
//   node fcgi_raw.mjs SOCKET partial       a request that stops halfway holds the worker up for the
//                                          read timeout only (needs a server with 1 worker)
//   node fcgi_raw.mjs SOCKET stop PIDFILE LOG  SIGTERM to the server (PID in PIDFILE, log in LOG)
//                                          while it holds a new connection that has not sent its
//                                          request yet: that request is still answered
// Prints one line per check ("ok: ..." or "not ok: ...") and exits 1 if any failed.
import net from 'node:net';

const [sock, mode, arg, arg2] = process.argv.slice(2);
let failed = 0;
const report = (ok, what) => { console.log(`${ok ? 'ok' : 'not ok'}: ${what}`); if (!ok) failed++; };

function record(type, id, body) {
  const pad = (8 - (body.length % 8)) % 8;
  const h = Buffer.from([1, type, id >> 8, id & 255, body.length >> 8, body.length & 255, pad, 0]);
  return Buffer.concat([h, body, Buffer.alloc(pad)]);
}

function nv(name, value) {
  const n = Buffer.from(name), v = Buffer.from(value);
  const len = (x) => (x.length < 128 ? Buffer.from([x.length])
    : Buffer.from([(x.length >> 24) | 128, (x.length >> 16) & 255, (x.length >> 8) & 255, x.length & 255]));
  return Buffer.concat([len(n), len(v), n, v]);
}

// A GET request for `uri` ("/api/v1/summary?survey=2023") with FCGI_KEEP_CONN.
function request(uri, id = 1) {
  const [path, query = ''] = uri.split('?');
  const params = Buffer.concat([nv('REQUEST_METHOD', 'GET'), nv('DOCUMENT_URI', path),
    nv('QUERY_STRING', query), nv('SERVER_PROTOCOL', 'HTTP/1.1')]);
  return Buffer.concat([record(1, id, Buffer.from([0, 1, 1, 0, 0, 0, 0, 0])),
    record(4, id, params), record(4, id, Buffer.alloc(0)), record(5, id, Buffer.alloc(0))]);
}

// A connection with a queue of records read from it; closed is set when the server closes it.
function connect() {
  return new Promise((resolve, reject) => {
    const c = { buf: Buffer.alloc(0), closed: false, waiters: [] };
    c.s = net.createConnection({ path: sock }, () => resolve(c));
    c.s.on('error', (e) => { c.closed = true; c.error = e; reject(e); c.waiters.forEach((w) => w()); });
    c.s.on('data', (d) => { c.buf = Buffer.concat([c.buf, d]); c.waiters.splice(0).forEach((w) => w()); });
    c.s.on('close', () => { c.closed = true; c.waiters.splice(0).forEach((w) => w()); });
  });
}

const wake = (c, ms) => new Promise((r) => { const t = setTimeout(r, ms); c.waiters.push(() => { clearTimeout(t); r(); }); });

// Reads one whole response: {status, body}, or null if the connection closed or `ms` passed.
async function response(c, ms = 5000) {
  const deadline = Date.now() + ms;
  let out = Buffer.alloc(0);
  for (;;) {
    while (c.buf.length >= 8) {
      const len = (c.buf[4] << 8) | c.buf[5], pad = c.buf[6], type = c.buf[1];
      if (c.buf.length < 8 + len + pad) break;
      const body = c.buf.subarray(8, 8 + len);
      c.buf = c.buf.subarray(8 + len + pad);
      if (type === 6) out = Buffer.concat([out, body]);
      if (type === 3) {
        const text = out.toString('utf8');
        const m = /^Status: (\d+)/m.exec(text);
        return { status: m ? +m[1] : 200, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
      }
    }
    if (c.closed || Date.now() >= deadline) return null;
    await wake(c, deadline - Date.now());
  }
}

async function closedWithin(c, ms) {
  const deadline = Date.now() + ms;
  while (!c.closed && Date.now() < deadline) await wake(c, deadline - Date.now());
  return c.closed;
}

if (mode === 'many') {
  const n = +arg;
  const conns = await Promise.all(Array.from({ length: n }, connect));
  conns.forEach((c) => c.s.write(request('/api/v1/summary')));
  const answers = await Promise.all(conns.map((c) => response(c)));
  const ok = answers.filter((a) => a && a.status === 200).length;
  report(ok === n, `${n} connections open at once, each answered 200 (${ok} were)`);
  conns.forEach((c) => c.s.write(request('/api/v1/health', 2)));
  const again = await Promise.all(conns.map((c) => response(c)));
  const kept = again.filter((a) => a && a.status === 200).length;
  report(kept === n, `the same ${n} connections, kept open, answer a second request (${kept} did)`);
  conns.forEach((c) => c.s.destroy());
} else if (mode === 'garbage') {
  const bad = await connect();
  bad.s.write('GET /api/v1/summary HTTP/1.1\r\nHost: x\r\n\r\n');
  report(await closedWithin(bad, 3000) && bad.buf.length === 0,
    'a connection that does not speak FastCGI is closed without an answer');
  const good = await connect();
  good.s.write(request('/api/v1/health'));
  const a = await response(good);
  report(a !== null && a.status === 200, 'the worker then answers a FastCGI request (200)');
  good.s.destroy();
} else if (mode === 'shed') {
  const idle = await connect();
  idle.s.write(request('/api/v1/health'));
  const a = await response(idle);
  report(a !== null && a.status === 200, 'a kept connection answered its request');
  const fresh = await connect(); // opened, no request yet: like nginx about to send one
  const busy = await connect();
  busy.s.write(request('/api/v1/report?format=md')); // not cached yet: waits on the database
  const b = await response(busy, 10000);
  report(b !== null && b.status === 200, 'a report (built from the database) is answered 200');
  report(await closedWithin(idle, 1000), 'the idle kept connection was handed back (closed) before it');
  report(!fresh.closed, 'a new connection that has not sent its request yet stays open');
  fresh.s.write(request('/api/v1/health'));
  const f = await response(fresh);
  report(f !== null && f.status === 200, '... and its request is then answered 200');
  [idle, fresh, busy].forEach((c) => c.s.destroy());
} else if (mode === 'partial') {
  const stuck = await connect();
  stuck.s.write(request('/api/v1/health').subarray(0, 20)); // the begin record and 4 bytes more
  await new Promise((r) => setTimeout(r, 200));
  const other = await connect();
  const t0 = Date.now();
  other.s.write(request('/api/v1/health'));
  const a = await response(other, 15000);
  const ms = Date.now() - t0;
  report(a !== null && a.status === 200 && ms <= 8000,
    `a request sent halfway holds up the worker's other connections ${ms} ms (limit 8000: 5 s read timeout)`);
  report(await closedWithin(stuck, 3000), 'the connection of the half-sent request is closed');
  [stuck, other].forEach((c) => c.s.destroy());
} else if (mode === 'stop') {
  const { readFileSync } = await import('node:fs');
  const accepted = async (c, id) => {
    c.s.write(request('/api/v1/metrics', id));
    const m = /hyoka_connections_total\{event="accepted"\} (\d+)/.exec((await response(c))?.body ?? '');
    return m ? +m[1] : -1;
  };
  const kept = await connect();
  const before = await accepted(kept, 1);
  const fresh = await connect(); // like nginx about to send a request on a new connection
  let id = 2;
  while ((await accepted(kept, id++)) === before && id < 500); // until the worker has taken it
  report(id < 500, 'the worker accepted the new connection');
  const logged = () => readFileSync(arg2, 'utf8').includes('stopping: answering what nginx has sent');
  process.kill(+readFileSync(arg, 'utf8'), 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (!logged() && !fresh.closed && Date.now() < deadline) await wake(fresh, 20);
  report(!fresh.closed, 'SIGTERM: a new connection that has not sent its request yet is not closed');
  report(await closedWithin(kept, 1000), 'SIGTERM: an idle kept connection is closed (nginx resends on another)');
  fresh.s.write(request('/api/v1/health'));
  const f = await response(fresh);
  report(f !== null && f.status === 200, 'SIGTERM: the request then sent on the new connection is answered 200');
  report(await closedWithin(fresh, 3000), '... and its connection closed after the answer');
  [kept, fresh].forEach((c) => c.s.destroy());
} else {
  console.error('usage: node fcgi_raw.mjs SOCKET many N | garbage | shed | partial | stop PIDFILE LOG');
  process.exit(2);
}
process.exit(failed ? 1 : 0);
