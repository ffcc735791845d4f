// load.mjs - steady concurrent GETs (and POSTs) for the operations checks of tests/http/run.sh:
// prints one JSON line {total, statuses, failures} and exits 1 if any answer was not allowed or
// was cut off.
//   node load.mjs --seconds 5 --concurrency 8 --allow 200,503 [--ready-file F]
//                 [--post URL --post-concurrency N --post-allow 201] URL...
// --ready-file F is created after the first 50 answers. --post adds N clients that send
// `POST URL` with an empty body and `Authorization: Bearer $HYOKA_TOKEN` in a loop; their answers
// must have a status in --post-allow (default 201), or be a JSON problem with a status in --allow.
// "spans" gives, for each status, when the requests that got it started and ended: [first start,
// last start, first end, last end] (ms).
// A failure is: a network error or a body cut short (fetch throws), a status not in --allow, or a
// non-200 answer that is not a JSON problem document.
const args = process.argv.slice(2);
let seconds = 5, concurrency = 8, allow = [200], stopFile = null, readyFile = null;
let postUrl = null, postConcurrency = 1, postAllow = [201];
const urls = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seconds') seconds = +args[++i];
  else if (args[i] === '--concurrency') concurrency = +args[++i];
  else if (args[i] === '--allow') allow = args[++i].split(',').map(Number);
  else if (args[i] === '--until-file') stopFile = args[++i];
  else if (args[i] === '--ready-file') readyFile = args[++i];
  else if (args[i] === '--post') postUrl = args[++i];
  else if (args[i] === '--post-concurrency') postConcurrency = +args[++i];
  else if (args[i] === '--post-allow') postAllow = args[++i].split(',').map(Number);
  else urls.push(args[i]);
}
import { existsSync, writeFileSync } from 'node:fs';
const deadline = Date.now() + seconds * 1000;
const statuses = {};
const spans = {};
const failures = [];
let total = 0;

async function one(url, post = false) {
  const t = Date.now();
  try {
    const init = post
      ? { method: 'POST', headers: { authorization: `Bearer ${process.env.HYOKA_TOKEN}` } }
      : {};
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30000) });
    const bytes = Buffer.from(await res.arrayBuffer()); // throws if the body is cut off
    const len = res.headers.get('content-length');
    if (len !== null && bytes.length !== +len) throw new Error(`body ${bytes.length} of ${len} bytes`);
    const text = bytes.toString('utf8');
    const key = post ? `POST ${res.status}` : res.status;
    statuses[key] = (statuses[key] || 0) + 1;
    const sp = spans[key] ||= [t, t, Date.now(), 0];
    sp[0] = Math.min(sp[0], t); sp[1] = Math.max(sp[1], t); sp[3] = Date.now();
    if (post && postAllow.includes(res.status)) JSON.parse(text);
    else if (!allow.includes(res.status)) failures.push({ url, status: res.status, body: text.slice(0, 200), t });
    else if (res.status !== 200) {
      const doc = JSON.parse(text);
      if (doc.status !== res.status || !doc.title) failures.push({ url, status: res.status, body: text.slice(0, 200), t });
    } else if ((res.headers.get('content-type') || '').includes('json')) JSON.parse(text);
  } catch (e) {
    failures.push({ url, error: String(e.cause?.code || e.message), t });
  }
  total++;
  if (total === 50 && readyFile) writeFileSync(readyFile, 'ready\n'); // run.sh acts once load flows
}

async function worker(k) {
  let i = k;
  while (Date.now() < deadline && !(stopFile && existsSync(stopFile))) await one(urls[i++ % urls.length]);
}
async function poster() {
  while (Date.now() < deadline && !(stopFile && existsSync(stopFile))) await one(postUrl, true);
}
await Promise.all([
  ...Array.from({ length: concurrency }, (_, k) => worker(k)),
  ...(postUrl ? Array.from({ length: postConcurrency }, poster) : []),
]);
console.log(JSON.stringify({ total, statuses, spans, failures: failures.slice(0, 20), nfailures: failures.length }));
process.exit(failures.length ? 1 : 0);
