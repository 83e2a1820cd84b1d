// Vulnerabilities across the fleet (GET /v1/vulns): grouped by vulnerability, highest risk
// first, with the reasons of the score, affected hosts, packages and fixed versions.
import { get, qs } from './api.js';
import { h, put, clear, errorBox, empty, badge, field, select, table, say } from './dom.js';

export async function render(main, r, ctx) {
  const q = r.query;
  const st = { account: q.get('account') || '', kev: q.get('kev') || '', severity: q.get('severity') || '', tag: q.get('tag') || '' };
  const inputs = {
    account: select('account', [['', 'any']].concat(ctx.accounts.map((a) => [a.name, a.name])), st.account),
    severity: select('severity', [['', 'any'], ['critical', 'critical'], ['high', 'high or worse'], ['medium', 'medium or worse'], ['low', 'low or worse']], st.severity),
    kev: select('kev', [['', 'all'], ['true', 'in CISA KEV only']], st.kev),
    tag: h('input', { name: 'tag', value: st.tag, placeholder: 'ring=canary' }),
  };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter vulnerabilities' },
    field('Account', inputs.account), field('Severity', inputs.severity), field('KEV', inputs.kev), field('Host tag (key=value)', inputs.tag),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const n = {};
    for (const k of Object.keys(inputs)) n[k] = inputs[k].value.trim();
    location.hash = '#/vulns' + qs(n);
  });
  const out = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading', role: 'status' }, 'Evaluating findings…'));
  put(main, h('div', { class: 'page-head' }, h('h1', {}, 'Vulnerabilities')), form, out,
    h('section', { 'aria-labelledby': 'v-exc', class: 'panel' }, h('h2', { id: 'v-exc' }, 'Exceptions'),
      h('p', {}, 'Accepted and dismissed findings are counted apart (column “excepted”). Accepting the risk of a vulnerability with an owner, a reason and an expiry is done on its ',
        h('a', { href: '#/tracking' }, 'tracking record'), ' (approver). Per-host exceptions of the vulnerability database are made with ',
        h('code', {}, 'fleetpatch exceptions add --db STATE/vuln.db …'), ' (docs/vulns.md); their effect shows here and on each host.')));
  let d;
  try {
    d = await get('/v1/vulns' + qs({ ...st, limit: 200 }));
  } catch (e) {
    put(out, errorBox(e));
    out.setAttribute('aria-busy', 'false');
    return;
  }
  out.setAttribute('aria-busy', 'false');
  const notes = [];
  if (!d.vulnerability_database) notes.push(h('p', { class: 'notice' }, 'No vulnerability database is loaded on the server (fleetpatch feeds import --db STATE/vuln.db …).'));
  if (d.partial) notes.push(h('p', { class: 'notice' }, `Partial: ${d.hosts_evaluated.toLocaleString()} of ${(d.hosts_matched - d.hosts_without_findings).toLocaleString()} hosts with findings were evaluated (the server's limit per request). Narrow by account or tag for the rest.`));
  const summary = h('p', { class: 'count' }, `${d.total.toLocaleString()} vulnerabilities on ${d.hosts_evaluated.toLocaleString()} hosts with findings (${d.hosts_matched.toLocaleString()} hosts match, ${d.hosts_without_findings.toLocaleString()} without findings)`);
  say(summary.textContent);
  put(out, ...notes, summary, d.vulns.length ? table('Vulnerabilities, highest risk first', [
    { label: 'Vulnerability', render: (v) => [v.vuln, v.advisories.length ? h('span', { class: 'sub' }, v.advisories.join(', ')) : null], rowHeader: true },
    { label: 'Severity', render: (v) => [badge(v.severity), v.kev ? badge('KEV', 'kev') : null] },
    { label: 'Score', render: (v) => (v.score >= 0 ? v.score.toFixed(1) : '—'), class: 'num' },
    { label: 'Why this score', render: (v) => v.reasons || '—', class: 'reasons' },
    { label: 'Hosts', render: (v) => v.hosts.toLocaleString(), class: 'num' },
    { label: 'Excepted', render: (v) => v.hosts_excepted.toLocaleString(), class: 'num' },
    { label: 'Packages', render: (v) => v.packages.join(', ') },
    { label: 'Fixed in', render: (v) => v.fixed.join(', ') || 'no fix yet' }], d.vulns, { captionHidden: true })
    : empty('No findings on the hosts that match.'));
}
