// api.js - the dashboard's only door to data: GET /api/v1/… with a timeout, problem+json errors.

/** The API beside the page, wherever nginx serves it: a page at /hyoka/ (or /hyoka/index.html)
 *  asks /hyoka/api/v1/, one at the site's root asks /api/v1/. */
export const API_BASE = new URL('api/v1/', new URL('.', document.baseURI)).pathname;
/** A request that takes longer than this is reported as the server being unreachable. */
export const API_TIMEOUT_MS = 20000;

/** An API failure the page can explain: kind 'network' (no answer, 502/504 from nginx),
 *  'server' (5xx from hyoka), 'busy' (429, rate limited), 'client' (other 4xx problem+json: the
 *  detail names the parameter). */
export class ApiError extends Error {
  constructor(kind, { status = 0, title = '', detail = '', url = '' } = {}) {
    super(detail || title || kind);
    this.kind = kind;
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.url = url;
  }
}

/** apiUrl('initiatives', {category: 'stalled', q: ''}) → '/api/v1/initiatives?category=stalled'.
 *  Empty and null parameters are left out: the API rejects an empty id rather than ignoring it. */
export function apiUrl(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return API_BASE + path + (s ? `?${s}` : '');
}

/** apiGet(path, params) → the parsed JSON body, or throws ApiError. */
export async function apiGet(path, params = {}) {
  const url = apiUrl(path, params);
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), API_TIMEOUT_MS);
  let res;
  try {
    res = await fetch(url, { headers: { Accept: 'application/json' }, signal: ctl.signal, cache: 'no-store' });
  } catch (e) {
    throw new ApiError('network', { url, detail: e && e.name === 'AbortError' ? '応答がありません（タイムアウト）' : '接続できません' });
  } finally {
    clearTimeout(timer);
  }
  const type = res.headers.get('content-type') || '';
  let body = null;
  if (type.includes('json')) {
    try { body = await res.json(); } catch { body = null; }
  }
  if (!res.ok) {
    const p = body && typeof body === 'object' ? body : {};
    const fields = { status: res.status, title: String(p.title || res.statusText || ''), detail: String(p.detail || ''), url };
    // 502/504 come from nginx when hyoka-fcgi is not running or does not answer; 503 from
    // hyoka while the database is unreachable. All three: "try again later".
    if (res.status === 502 || res.status === 504) throw new ApiError('network', fields);
    // 429 from nginx's rate limit: nothing is wrong with the request, it is to be retried later
    if (res.status === 429) throw new ApiError('busy', fields);
    throw new ApiError(res.status >= 500 ? 'server' : 'client', fields);
  }
  if (body === null) {
    throw new ApiError('server', { status: res.status, url, detail: '応答が JSON ではありません' });
  }
  return body;
}
