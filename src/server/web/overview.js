// Overview: the fleet now (GET /v1/summary; hosts pending a reboot from GET /v1/compliance)
// and the last 30 days (GET /v1/compliance/history) when the server has those routes; the
// page is interactive once the summary is on screen, the trends follow.
import { get, qs } from './api.js';
import { h, put, clear, errorBox, table } from './dom.js';

function card(label, value, detail, kind, href) {
  const body = [h('span', { class: 'card-value' }, value), h('span', { class: 'card-label' }, label),
    detail ? h('span', { class: 'card-detail' }, detail) : null];
  return h('li', { class: 'card ' + (kind || '') }, href ? h('a', { href }, body) : h('span', {}, body));
}

export async function render(main, r, ctx) {
  const account = r.query.get('account') || '';
  let s;
  const compliance = get('/v1/compliance' + qs({ account })).catch(() => null);
  try {
    s = await get('/v1/summary' + qs({ account }));
  } catch (e) {
    put(main, h('h1', {}, 'Overview'), errorBox(e));
    return;
  }
  const pct = (n) => (s.hosts ? Math.round((1000 * n) / s.hosts) / 10 : 0);
  const compliantPct = pct(s.compliance.compliant);
  const sev = s.findings;
  const sevTotal = sev.critical + sev.high + sev.medium + sev.low + sev.unknown;
  const bar = h('div', { class: 'sevbar', role: 'img',
    'aria-label': `Findings by severity: ${sev.critical} critical, ${sev.high} high, ${sev.medium} medium, ${sev.low} low, ${sev.unknown} unknown` },
  ['critical', 'high', 'medium', 'low', 'unknown'].map((k) => {
    const seg = h('span', { class: 'seg ' + k, title: k + ': ' + sev[k] });
    seg.style.width = (sevTotal ? (100 * sev[k]) / sevTotal : 0) + '%';
    return seg;
  }));
  const accountFilter = h('select', { id: 'ov-account', name: 'account' },
    h('option', { value: '' }, 'All my accounts'),
    ctx.accounts.map((a) => h('option', { value: a.name, selected: a.name === account }, a.name)));
  accountFilter.addEventListener('change', () => {
    location.hash = '#/overview' + qs({ account: accountFilter.value });
  });
  const hostsLink = (q) => '#/hosts' + qs({ account, ...q });
  const rebootCard = h('li', { class: 'card' }, h('span', {}, h('span', { class: 'card-value' }, '…'), h('span', { class: 'card-label' }, 'pending a reboot')));
  const trend = h('div', { 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading the history…'));
  put(main, 
    h('div', { class: 'page-head' }, h('h1', {}, 'Overview'),
      h('div', { class: 'inline-field' }, h('label', { for: 'ov-account' }, 'Account'), accountFilter)),
    s.hosts === 0
      ? h('p', { class: 'empty' }, 'No hosts yet. Enroll agents with an enrollment token (fleetpatch agents enroll-token) and they appear here after their first check-in.')
      : null,
    h('ul', { class: 'cards', 'aria-label': 'Fleet state' },
      card('hosts', s.hosts.toLocaleString(), s.stale ? s.stale.toLocaleString() + ' not seen recently' : 'all seen recently', '', hostsLink({})),
      card('compliant', compliantPct + ' %', `${s.compliance.compliant.toLocaleString()} compliant, ${s.compliance.noncompliant.toLocaleString()} not, ${s.compliance.unknown.toLocaleString()} unknown`,
        compliantPct >= 95 ? 'good' : 'warn', hostsLink({ compliance: 'noncompliant' })),
      card('hosts exposed to KEV', s.kev_hosts.toLocaleString(), s.kev_findings.toLocaleString() + ' findings in CISA KEV', s.kev_hosts ? 'bad' : 'good', '#/vulns?kev=true'),
      card('SLA breaches', s.overdue.toLocaleString(), 'findings past their fix-by date', s.overdue ? 'bad' : 'good', hostsLink({ sort: '-risk' })),
      card('need catch-up', (s.catchup || 0).toLocaleString(), 'offline, suspended, reverted or downgraded hosts', s.catchup ? 'warn' : 'good', hostsLink({ catchup: 'true' })),
      card('security updates pending', s.security_updates.toLocaleString(), 'summed over hosts', s.security_updates ? 'warn' : 'good'),
      rebootCard),
    h('section', { 'aria-labelledby': 'ov-sev' },
      h('h2', { id: 'ov-sev' }, 'Exposure by severity'),
      s.vulnerability_database ? null : h('p', { class: 'notice' }, 'No vulnerability database is loaded on the server (fleetpatch feeds import --db STATE/vuln.db …): finding counts are empty.'),
      bar,
      table('Findings by severity', [
        { label: 'Severity', render: (x) => x[0], rowHeader: true },
        { label: 'Findings', render: (x) => x[1].toLocaleString(), class: 'num' }],
      [['critical', sev.critical], ['high', sev.high], ['medium', sev.medium], ['low', sev.low], ['unknown', sev.unknown],
        ['in CISA KEV (any severity)', s.kev_findings]], { class: 'compact', captionHidden: true })),
    h('section', { 'aria-labelledby': 'ov-acct' },
      h('h2', { id: 'ov-acct' }, 'By account'),
      table('Hosts by account', [
        { label: 'Account', render: (x) => h('a', { href: '#/hosts' + qs({ account: x[0] }) }, x[0]), rowHeader: true },
        { label: 'Hosts', render: (x) => x[1].hosts.toLocaleString(), class: 'num' },
        { label: 'Not compliant', render: (x) => x[1].noncompliant.toLocaleString(), class: 'num' },
        { label: 'Critical', render: (x) => x[1].critical.toLocaleString(), class: 'num' },
        { label: 'High', render: (x) => x[1].high.toLocaleString(), class: 'num' },
        { label: 'KEV hosts', render: (x) => x[1].kev_hosts.toLocaleString(), class: 'num' }],
      Object.entries(s.by_account || {}), { captionHidden: true })),
    h('section', { 'aria-labelledby': 'ov-trend' }, h('h2', { id: 'ov-trend' }, 'Trends, last 30 days'), trend));
  document.body.dataset.ready = 'overview';
  performance.mark('fp-overview-interactive');
  compliance.then((c) => {
    const n = c && c.total && c.total.states ? c.total.states.pending_reboot : null;
    put(rebootCard, h('span', {}, h('span', { class: 'card-value' }, n === null ? '—' : n.toLocaleString()),
      h('span', { class: 'card-label' }, 'pending a reboot'),
      h('span', { class: 'card-detail' }, n === null ? 'not reported by this server' : 'newer kernel or libraries installed than running')));
    rebootCard.className = 'card ' + (n ? 'warn' : n === 0 ? 'good' : '');
  });
  get('/v1/compliance/history' + qs({ account })).then((d) => renderTrend(trend, d.points || []), (e) => {
    put(trend, e.status === 404 && /route/.test(e.message)
      ? h('p', { class: 'notice' }, 'Current state only: this server keeps no compliance history.')
      : errorBox(e));
  });
}

// One bar per day: its height the compliance rate; a table carries the same numbers.
function renderTrend(el, points) {
  if (!points.length) { put(el, h('p', { class: 'empty' }, 'No history yet.')); return; }
  const chart = h('div', { class: 'trend', role: 'img', 'aria-label': 'Compliance rate per day from ' + points[0].date + ' to ' + points[points.length - 1].date +
    ': ' + points[0].compliance_rate + ' % to ' + points[points.length - 1].compliance_rate + ' %' },
  points.map((p) => {
    const bar = h('span', { class: 'bar' + (p.compliance_rate >= 95 ? ' good' : ' warn'), title: `${p.date}: ${p.compliance_rate} % compliant, ${p.kev_hosts} KEV hosts, ${p.overdue} overdue` });
    bar.style.height = Math.max(2, p.compliance_rate) + '%';
    return bar;
  }));
  const last = points.slice(-7);
  put(el, chart, table('The last 7 days', [
    { label: 'Day', render: (p) => p.date, rowHeader: true },
    { label: 'Hosts', render: (p) => p.hosts.toLocaleString(), class: 'num' },
    { label: 'Compliant', render: (p) => p.compliance_rate + ' %', class: 'num' },
    { label: 'KEV hosts', render: (p) => p.kev_hosts.toLocaleString(), class: 'num' },
    { label: 'Overdue findings', render: (p) => p.overdue.toLocaleString(), class: 'num' },
    { label: 'Critical', render: (p) => p.findings.critical.toLocaleString(), class: 'num' },
    { label: 'High', render: (p) => p.findings.high.toLocaleString(), class: 'num' }], last, { class: 'compact' }));
}
