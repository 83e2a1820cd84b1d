// One host: facts, tags, pending updates, findings with their reasons, installed packages and
// job history, each from its own API route (a section that fails says why, the others stay).
import { get, qs } from './api.js';
import { h, put, clear, errorBox, empty, fmtAgo, fmtTime, badge, table, loading } from './dom.js';

function section(id, title, ...body) {
  return h('section', { 'aria-labelledby': id, class: 'panel' }, h('h2', { id }, title), ...body);
}

async function fill(el, fn) {
  try {
    const nodes = await fn();
    put(el, ...[].concat(nodes));
  } catch (e) {
    put(el, e.status === 404 && /inventory/.test(e.message) ? empty('The host has not reported an inventory yet.') : errorBox(e));
  }
}

function rebootNeeded(facts) {
  const running = facts.kernel_running;
  const installed = facts.kernels_installed || [];
  if (!running || !installed.length) return null;
  const newest = [...installed].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop();
  return newest !== running ? newest : '';
}

export async function render(main, r) {
  const id = r.params[0];
  let x;
  try {
    x = await get('/v1/hosts/' + id);
  } catch (e) {
    put(main, h('h1', {}, 'Host'), e.status === 404 ? empty('No such host (or not one of your accounts).') : errorBox(e));
    return;
  }
  const facts = x.facts || {};
  const cloud = facts.cloud || {};
  const reboot = rebootNeeded(facts);
  const dl = h('dl', { class: 'facts' });
  const add = (k, v) => dl.append(h('dt', {}, k), h('dd', {}, v === undefined || v === '' || v === null ? '—' : v));
  add('Account', x.account);
  add('OS', facts.os_pretty || [x.os, x.os_release].join(' '));
  add('Architecture', facts.arch);
  add('Kernel running', facts.kernel_running);
  add('Reboot', reboot === null ? 'unknown (no kernel facts)' : reboot ? badge('needed: ' + reboot + ' installed', 'warn') : 'not needed');
  add('Region / zone', [x.region || cloud.region, cloud.zone].filter(Boolean).join(' / '));
  add('Time zone', facts.timezone);
  add('Cloud', [cloud.provider, cloud.account, cloud.instance_id].filter(Boolean).join(' · '));
  add('Last seen', fmtAgo(x.last_seen) + ' (' + fmtTime(x.last_seen) + ')');
  add('Inventory', x.inventory_at ? fmtTime(x.inventory_at) + ', ' + x.packages + ' packages' : 'none yet');
  add('Compliance', badge(x.compliance));
  add('Catch-up', (x.catchup || []).length ? (x.catchup || []).join(', ') + ' since ' + fmtTime(x.catchup_since) : 'none');
  add('Tags', Object.entries(x.tags || {}).map(([k, v]) => k + '=' + v).join(', '));
  add('Agent', facts.agent_version);
  add('Host id', h('code', {}, x.id));
  if (x.cloned_from) add('Cloned from', h('a', { href: '#/hosts/' + x.cloned_from }, x.cloned_from));

  const upd = h('div', {}, loading());
  const vul = h('div', {}, loading());
  const pkg = h('div', {}, loading());
  const jobs = h('div', {}, loading());
  put(main, 
    h('div', { class: 'page-head' }, h('h1', {}, x.hostname), h('a', { href: '#/hosts' }, '← All hosts')),
    section('h-facts', 'Facts', dl),
    section('h-upd', 'Pending updates', upd),
    section('h-vul', 'Findings', vul),
    section('h-pkg', 'Installed packages', pkg),
    section('h-jobs', 'Job history', jobs));

  fill(upd, async () => {
    const d = await get('/v1/hosts/' + id + '/updates');
    if (!d.updates.length) return empty('No pending updates.');
    return table('Pending updates', [
      { label: 'Package', render: (u) => u.name, rowHeader: true },
      { label: 'Arch', render: (u) => u.arch },
      { label: 'Installed', render: (u) => u.installed },
      { label: 'Candidate', render: (u) => u.candidate },
      { label: 'Origin', render: (u) => u.origin || '—' },
      { label: 'Security', render: (u) => (u.security ? badge('security') : '') }], d.updates, { captionHidden: true });
  });
  fill(vul, async () => {
    const d = await get('/v1/hosts/' + id + '/vulns');
    const note = d.vulnerability_database ? null : h('p', { class: 'notice' }, 'No vulnerability database is loaded on the server.');
    if (!d.findings.length) return [note, empty('No findings.')].filter(Boolean);
    return [note, table('Findings, highest risk first', [
      { label: 'Vulnerability', render: (f) => f.vuln, rowHeader: true },
      { label: 'Package', render: (f) => f.package + ' ' + f.installed },
      { label: 'Severity', render: (f) => [badge(f.severity), f.kev ? badge('KEV', 'kev') : null] },
      { label: 'Score', render: (f) => (typeof f.score === 'number' ? f.score.toFixed(1) : ''), class: 'num' },
      { label: 'Status', render: (f) => f.status },
      { label: 'Fixed in', render: (f) => f.fixed || 'no fix yet' },
      { label: 'Why', render: (f) => f.reasons || '—', class: 'reasons' },
      { label: 'Fix by', render: (f) => (f.sla_due ? [fmtTime(f.sla_due), f.sla_due < Date.now() / 1000 ? badge('overdue', 'bad') : null] : '—') }],
    d.findings)].filter(Boolean);
  });
  const pkgSearch = h('input', { type: 'search', id: 'pkg-q', placeholder: 'package name' });
  const pkgList = h('div', {});
  const loadPkgs = () => fill(pkgList, async () => {
    const d = await get('/v1/hosts/' + id + '/packages' + qs({ q: pkgSearch.value.trim(), limit: 200 }));
    if (!d.packages.length) return empty('No package matches.');
    return [h('p', { class: 'count' }, `${d.packages.length} of ${d.total} packages` + (d.total > d.packages.length ? ' (search to narrow)' : '')),
      table('Installed packages', [
        { label: 'Package', render: (p) => p.name, rowHeader: true },
        { label: 'Arch', render: (p) => p.arch },
        { label: 'Version', render: (p) => p.version },
        { label: 'Source', render: (p) => (p.source ? p.source + (p.source_version && p.source_version !== p.version ? ' ' + p.source_version : '') : '—') }],
      d.packages, { captionHidden: true, class: 'compact' })];
  });
  const pkgForm = h('form', { class: 'inline-field', role: 'search', 'aria-label': 'Search installed packages' },
    h('label', { for: 'pkg-q' }, 'Package'), pkgSearch, h('button', { type: 'submit' }, 'Search'));
  pkgForm.addEventListener('submit', (ev) => { ev.preventDefault(); loadPkgs(); });
  put(pkg, pkgForm, pkgList);
  loadPkgs();
  fill(jobs, async () => {
    const d = await get('/v1/hosts/' + id + '/jobs' + qs({ limit: 50 }));
    if (!d.jobs.length) return empty('No jobs yet.');
    return table('Jobs, newest first', [
      { label: 'Job', render: (j) => h('code', {}, j.id), rowHeader: true },
      { label: 'Type', render: (j) => j.type },
      { label: 'Status', render: (j) => badge(j.status) },
      { label: 'Phase / detail', render: (j) => [j.phase, j.detail].filter(Boolean).join(': ') || '—' },
      { label: 'By', render: (j) => j.created_by || '—' },
      { label: 'Created', render: (j) => fmtTime(j.created) },
      { label: 'Finished', render: (j) => fmtTime(j.finished) }], d.jobs, { captionHidden: true });
  });
}
