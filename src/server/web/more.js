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

// Tracking records (GET /v1/tracking): the work on each vulnerability. An operator assigns a
// record (group, owner); an approver accepts its risk with a reason and an expiry, which is
// the server's exception with owner, reason and expiry (POST /v1/tracking/{id}/accept-risk).
async function tracking(main, r, ctx) {
  let d;
  try {
    d = await get('/v1/tracking' + qs({ limit: 100 }));
  } catch (e) {
    put(main, h('h1', {}, 'Tracking'), missing(e) ? empty('This server has no tracking API (GET /v1/tracking).') : errorBox(e));
    return;
  }
  const rows = d.tracking || [];
  const manage = (x) => {
    const out = h('div', { class: 'manage' });
    const status = h('div', { 'aria-live': 'polite' });
    const send = async (path, body, what) => {
      try {
        await api('POST', `/v1/tracking/${x.id}/${path}`, body);
        put(status, h('p', {}, what + ': done.'));
        setTimeout(() => { location.hash = '#/tracking?t=' + Date.now(); }, 600);
      } catch (e) {
        put(status, errorBox(e));
      }
    };
    if (ctx.can(x.account, 'operator')) {
      const group = h('input', { name: 'group', value: x.group || '', required: true, maxlength: 64 });
      const owner = h('input', { name: 'assignee', value: x.assignee || '', maxlength: 63 });
      const f = h('form', { class: 'inline-form', 'aria-label': 'Assign ' + x.vuln },
        field('Group', group), field('Owner (user)', owner), h('button', { type: 'submit' }, 'Assign'));
      f.addEventListener('submit', (ev) => { ev.preventDefault(); send('assign', owner.value.trim() ? { group: group.value.trim(), assignee: owner.value.trim() } : { group: group.value.trim() }, 'Assigned'); });
      out.append(f);
    }
    if (ctx.can(x.account, 'approver') && !['closed', 'risk_accepted'].includes(x.state)) {
      const reason = h('input', { name: 'reason', required: true, maxlength: 4096 });
      const until = h('input', { name: 'expires', type: 'date', required: true,
        min: new Date(Date.now() + 86400000).toISOString().slice(0, 10), max: new Date(Date.now() + 366 * 86400000).toISOString().slice(0, 10) });
      const f = h('form', { class: 'inline-form', 'aria-label': 'Accept the risk of ' + x.vuln },
        field('Reason', reason), field('Accepted until', until), h('button', { type: 'submit', class: 'danger' }, 'Accept risk'));
      f.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const t = Math.floor(Date.parse(until.value + 'T23:59:59Z') / 1000);
        send('accept-risk', { reason: reason.value.trim(), expires: t }, 'Risk accepted');
      });
      out.append(f);
    }
    out.append(status);
    return out;
  };
  put(main, h('div', { class: 'page-head' }, h('h1', {}, 'Tracking')),
    rows.length ? table('Tracking records', [
      { label: 'Vulnerability', render: (x) => [x.vuln, x.kev ? badge('KEV', 'kev') : null], rowHeader: true },
      { label: 'Account', render: (x) => x.account },
      { label: 'Severity', render: (x) => badge(x.severity) },
      { label: 'State', render: (x) => [badge(x.state), x.risk_until ? h('span', { class: 'sub' }, 'until ' + fmtTime(x.risk_until)) : null] },
      { label: 'Group / owner', render: (x) => (x.group || '—') + (x.assignee ? ' / ' + x.assignee : '') },
      { label: 'Fix by', render: (x) => fmtTime(x.sla_due) },
      { label: 'Opened', render: (x) => fmtTime(x.opened) },
      { label: 'Actions', render: (x) => manage(x) }], rows, { captionHidden: true, class: 'compact' })
      : empty('No tracking records: they open when a host is exposed to a finding that needs work.'));
}

export async function render(main, r, ctx) {
  const page = r.params[0];
  if (page === 'audit') return audit(main, r);
  if (page === 'reports') return reports(main, r, ctx);
  return tracking(main, r, ctx);
}
