// Overview: the fleet now (GET /v1/summary). There is no history API yet, so there are no
// trends: the page says so rather than drawing a chart of one point.
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
      card('security updates pending', s.security_updates.toLocaleString(), 'summed over hosts', s.security_updates ? 'warn' : 'good')),
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
    h('section', { 'aria-labelledby': 'ov-trend' },
      h('h2', { id: 'ov-trend' }, 'Trends'),
      h('p', { class: 'notice' }, 'Current state only: the server keeps no compliance history yet, so there is nothing to chart over time. Reboots needed are shown per host (running kernel against the newest installed one).')));
  document.body.dataset.ready = 'overview';
  performance.mark('fp-overview-interactive');
}
