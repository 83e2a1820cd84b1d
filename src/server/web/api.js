// The REST API as the dashboard uses it: the same routes, tokens and roles as the CLI.
const KEY = 'fleetpatch.token';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function token() { return sessionStorage.getItem(KEY); }
export function setToken(t) { if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY); }

export async function api(method, path, body) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'the server cannot be reached: ' + e.message);
  }
  let doc = null;
  const text = await resp.text();
  try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
  if (!resp.ok) {
    const e = (doc && doc.error) || {};
    if (resp.status === 401 && path !== '/v1/auth/login') {
      setToken(null);
      window.dispatchEvent(new CustomEvent('fp-signed-out'));
    }
    throw new ApiError(resp.status, e.code || 'http_' + resp.status, e.message || resp.statusText, e.field);
  }
  return doc;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x)); else u.append(k, v);
  }
  const s = u.toString();
  return s ? '?' + s : '';
}
