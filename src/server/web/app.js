// The dashboard shell: sign-in, the session (token in sessionStorage), the hash router and
// the role helpers. Pages are modules with render(main, route, ctx) -> optional cleanup.
import { api, get, setToken, token } from './api.js';
import { h, put, clear, errorBox, field, loading } from './dom.js';
import * as overview from './overview.js';
import * as hosts from './hosts.js';
import * as host from './host.js';
import * as vulns from './vulns.js';
import * as changes from './changes.js';
import * as windows from './windows.js';
import * as more from './more.js';

const main = document.getElementById('main');
const ctx = { me: null, accounts: [] };
let cleanup = null;

const ROLES = { viewer: 1, operator: 2, approver: 3, admin: 4 };
// The strongest role the user has on account ("*" grants count everywhere), as the server does.
ctx.role = (account) => {
  let best = 0;
  for (const g of (ctx.me && ctx.me.grants) || [])
    if ((g.account === '*' || g.account === account) && ROLES[g.role] > best) best = ROLES[g.role];
  return best;
};
ctx.can = (account, role) => ctx.role(account) >= ROLES[role];
ctx.canAnywhere = (role) => ((ctx.me && ctx.me.grants) || []).some((g) => ROLES[g.role] >= ROLES[role]);

const PAGES = [
  [/^\/overview$/, overview.render],
  [/^\/hosts$/, hosts.render],
  [/^\/hosts\/([0-9a-f]{1,32})$/, host.render],
  [/^\/vulns$/, vulns.render],
  [/^\/changes$/, changes.renderList],
  [/^\/changes\/new$/, changes.renderNew],
  [/^\/changes\/([0-9a-zA-Z_-]{1,64})$/, changes.renderOne],
  [/^\/windows$/, windows.render],
  [/^\/(audit|reports|tracking)$/, more.render],
];

export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/overview';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { path, query };
}

async function route() {
  if (cleanup) { try { cleanup(); } catch (e) { /* a page's timer */ } cleanup = null; }
  if (!token()) { renderLogin(); return; }
  if (!ctx.me) {
    try {
      ctx.me = await get('/v1/whoami');
      ctx.accounts = (await get('/v1/accounts')).accounts || [];
    } catch (e) {
      if (!token()) { renderLogin(); return; }
      put(main, errorBox(e));
      return;
    }
  }
  showShell();
  const r = parseHash();
  for (const a of document.querySelectorAll('#nav a')) {
    const here = r.path === a.getAttribute('href').slice(1) || r.path.startsWith(a.getAttribute('href').slice(1) + '/');
    if (here) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  for (const [re, fn] of PAGES) {
    const m = r.path.match(re);
    if (!m) continue;
    put(main, loading());
    try {
      cleanup = await fn(main, { ...r, params: m.slice(1) }, ctx) || null;
    } catch (e) {
      put(main, h('h1', {}, 'Something went wrong'), errorBox(e));
    }
    return;
  }
  put(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, r.path), '. ',
    h('a', { href: '#/overview' }, 'Go to the overview')));
}

function showShell() {
  document.getElementById('top').hidden = false;
  const grants = (ctx.me.grants || []).map((g) => g.role + ' on ' + (g.account === '*' ? 'every account' : g.account));
  document.getElementById('who').textContent = ctx.me.user + ' (' + (grants.join(', ') || 'no grants') + ')';
}

function renderLogin(message) {
  ctx.me = null;
  document.getElementById('top').hidden = true;
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, maxlength: 63 });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to fleetpatch'),
    field('User', user), field('Password', pass), status,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  if (message) status.append(h('p', { class: 'error', role: 'alert' }, message));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    put(status, loading('Signing in…'));
    try {
      const doc = await api('POST', '/v1/auth/login', { user: user.value, password: pass.value });
      setToken(doc.token);
      pass.value = '';
      if (!location.hash || location.hash === '#/login') location.hash = '#/overview';
      else route();
    } catch (e) {
      put(status, h('p', { class: 'error', role: 'alert' },
        e.status === 401 ? 'Wrong user or password.' : e.status === 429 ? 'Too many failed sign-ins from here; wait a minute.' : e.message));
    }
  });
  put(main, form);
  user.focus();
}

// Signing out revokes the session's token on the server (DELETE /v1/tokens/{id}, the id is the
// token's public part), so a copy of it stops working too.
document.getElementById('logout').addEventListener('click', async () => {
  const t = token();
  const id = t ? t.split('_')[1] : '';
  if (id && /^[0-9a-f]{16}$/.test(id)) await api('DELETE', '/v1/tokens/' + id).catch(() => null);
  setToken(null);
  ctx.me = null;
  renderLogin('Signed out.');
});
window.addEventListener('fp-signed-out', () => renderLogin('Your session ended; sign in again.'));
window.addEventListener('hashchange', () => { route(); main.focus({ preventScroll: true }); });
route();
