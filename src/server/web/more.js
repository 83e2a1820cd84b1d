// Audit log, reports and tracking (issue 8's APIs): read-only views over GET /v1/audit,
// /v1/reports/compliance and /v1/tracking. A server without the route says so.
import { api, get, qs, token } from './api.js';
import { h, put, empty, errorBox, table, fmtTime, badge, field, select } from './dom.js';

const missing = (e) => e.status === 404 && e.code === 'not_found' && /route/.test(e.message);

function cell(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'object') return JSON.stringify(v).slice(0, 160);
  return String(v);
}

const SHOWN = ['seq', 'time', 'at', 'actor', 'action', 'account', 'object', 'target', 'hash', 'prev', 'sig', 'key_id'];
function details(x) {
  const rest = Object.entries(x).filter(([k]) => !SHOWN.includes(k));
  return rest.length ? rest.map(([k, v]) => k + ': ' + cell(v)).join('; ').slice(0, 240) : '—';
}

async function audit(main, r) {
  const before = r.query.get('before') || '';
  let d;
  try {
    d = await get('/v1/audit' + qs({ limit: 100, before }));
  } catch (e) {
    put(main, h('h1', {}, 'Audit log'), missing(e) ? empty('This server has no audit log API (GET /v1/audit).') : errorBox(e));
    return;
  }
  const rows = d.entries || [];
  put(main, h('div', { class: 'page-head' }, h('h1', {}, 'Audit log'), h('span', { class: 'hint' }, 'chained and signed by the server; verify with fleetpatch audit verify')),
    rows.length ? table('Audit entries, newest first', [
      { label: 'Seq', render: (x) => cell(x.seq), rowHeader: true },
      { label: 'Time', render: (x) => fmtTime(x.time || x.at) },
      { label: 'Actor', render: (x) => cell(x.actor) },
      { label: 'Action', render: (x) => cell(x.action) },
      { label: 'Account', render: (x) => cell(x.account) },
      { label: 'Object', render: (x) => cell(x.object || x.target) },
      { label: 'Details', render: (x) => details(x), class: 'reasons' }], rows, { captionHidden: true, class: 'compact' })
      : empty('Nothing recorded yet.'),
    d.next_before ? h('nav', { class: 'pager', 'aria-label': 'Older entries' }, h('a', { class: 'button', href: '#/audit' + qs({ before: d.next_before }) }, 'Older →')) : null);
}

async function reports(main, r, ctx) {
  // an organisation-wide report needs a grant on every account ('*'); others pick an account
  const org = ((ctx.me && ctx.me.grants) || []).some((g) => g.account === '*');
  const opts = (org ? [['', 'organisation']] : []).concat(ctx.accounts.map((a) => [a.name, a.name]));
  const account = select('account', opts, r.query.get('account') || (opts[0] ? opts[0][0] : ''));
  const status = h('div', { 'aria-live': 'polite' });
  const download = (format, ext) => h('button', { type: 'button', on: { click: async () => {
    // fetched with the session's token (a plain link could not carry it), then saved
    put(status, h('p', { class: 'loading' }, 'Building the report…'));
    try {
      const resp = await fetch('/v1/reports/compliance' + qs({ account: account.value, format }), { headers: { Authorization: 'Bearer ' + token() }, cache: 'no-store' });
      if (!resp.ok) throw new Error('HTTP ' + resp.status);
      const url = URL.createObjectURL(await resp.blob());
      const a = h('a', { href: url, download: 'compliance-report.' + ext });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      put(status, h('p', {}, 'Saved compliance-report.' + ext + '.'));
    } catch (e) {
      put(status, errorBox(e));
    }
  } } }, 'Download ' + format.toUpperCase());
  let d;
  try {
    d = await api('GET', '/v1/reports/compliance' + qs({ account: account.value }));
  } catch (e) {
    put(main, h('h1', {}, 'Reports'), missing(e) ? empty('This server has no reports API (GET /v1/reports/compliance).') : errorBox(e));
    return;
  }
  account.addEventListener('change', () => { location.hash = '#/reports' + qs({ account: account.value }); });
  const s = d.summary || {};
  put(main, h('div', { class: 'page-head' }, h('h1', {}, 'Reports'), field('Scope', account)),
    h('section', { class: 'panel', 'aria-labelledby': 'rep-c' }, h('h2', { id: 'rep-c' }, 'Compliance report'),
      h('p', {}, `Scope ${d.scope}; ${d.range ? d.range.from + ' to ' + d.range.to : ''}; generated ${d.generated}.`),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Hosts'), h('dd', {}, cell(s.hosts)),
        h('dt', {}, 'Compliance rate'), h('dd', {}, cell(s.compliance_rate) + ' %'),
        h('dt', {}, 'KEV hosts'), h('dd', {}, cell(s.kev_hosts)),
        h('dt', {}, 'Overdue findings'), h('dd', {}, cell(s.overdue)),
        h('dt', {}, 'Pending a reboot'), h('dd', {}, cell(s.states && s.states.pending_reboot))),
      h('div', { class: 'actions' }, download('html', 'html'), download('json', 'json')), status));
}

async function tracking(main, r) {
  let d;
  try {
    d = await get('/v1/tracking' + qs({ limit: 100 }));
  } catch (e) {
    put(main, h('h1', {}, 'Tracking'), missing(e) ? empty('This server has no tracking API (GET /v1/tracking).') : errorBox(e));
    return;
  }
  const rows = d.tracking || [];
  const keys = rows.length ? Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== 'object').slice(0, 8) : [];
  put(main, h('h1', {}, 'Tracking'), rows.length ? table('Tracking records', keys.map((k, i) => ({
    label: k, rowHeader: i === 0,
    render: (x) => (k === 'state' || k === 'status' ? badge(cell(x[k])) : /^(at|time|created|updated|opened|due)$/.test(k) && typeof x[k] === 'number' ? fmtTime(x[k]) : cell(x[k])),
  })), rows, { captionHidden: true, class: 'compact' }) : empty('No tracking records: they open when a host is exposed to a finding that needs work.'));
}

export async function render(main, r, ctx) {
  const page = r.params[0];
  if (page === 'audit') return audit(main, r);
  if (page === 'reports') return reports(main, r, ctx);
  return tracking(main, r);
}
