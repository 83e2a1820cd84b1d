// Change requests and rollouts: list, create from a baseline and targets, the plan before
// approval, votes (never on one's own request: the buttons are not shown to the author or to
// a role below approver, and the API refuses anyway), and the rollout live (polled).
import { get, post, qs } from './api.js';
import { h, put, clear, errorBox, empty, fmtTime, badge, field, select, table, say, loading } from './dom.js';

const FINAL = ['done', 'failed', 'rolled_back', 'cancelled', 'rejected'];
const POLL_MS = 2000;

export async function renderList(main, r, ctx) {
  const state = r.query.get('state') || '';
  const d = await get('/v1/change-requests' + qs({ state }));
  const filter = select('state', [['', 'any state'], ...['draft', 'submitted', 'scheduled', 'running', 'paused', 'done', 'failed', 'rolled_back', 'cancelled', 'rejected'].map((s) => [s, s])], state);
  filter.id = 'cr-state';
  filter.addEventListener('change', () => { location.hash = '#/changes' + qs({ state: filter.value }); });
  const list = d.change_requests || [];
  put(main, 
    h('div', { class: 'page-head' }, h('h1', {}, 'Change requests'),
      h('div', { class: 'inline-field' }, h('label', { for: 'cr-state' }, 'State'), filter),
      ctx.canAnywhere('operator') ? h('a', { class: 'button primary', href: '#/changes/new' }, 'New change request') : null),
    list.length ? table('Change requests, newest first', [
      { label: 'Title', render: (c) => h('a', { href: '#/changes/' + c.id }, c.title), rowHeader: true },
      { label: 'Account', render: (c) => c.account },
      { label: 'State', render: (c) => badge(c.state) },
      { label: 'Author', render: (c) => c.author },
      { label: 'Baseline', render: (c) => c.baseline },
      { label: 'Window', render: (c) => c.window || '—' },
      { label: 'Created', render: (c) => fmtTime(c.created) }], list, { captionHidden: true })
      : empty(state ? 'No change request in this state.' : 'No change requests yet.'));
}

export async function renderNew(main, r, ctx) {
  const accts = ctx.accounts.filter((a) => ctx.can(a.name, 'operator'));
  if (!accts.length) {
    put(main, h('h1', {}, 'New change request'), empty('Creating a change request needs the role operator on an account; you have none.'));
    return;
  }
  const account = select('account', accts.map((a) => [a.name, a.name]), accts[0].name);
  const title = h('input', { name: 'title', required: true, maxlength: 200 });
  const baseline = h('select', { name: 'baseline', required: true });
  const win = h('select', { name: 'window' });
  const tags = h('input', { name: 'tags', placeholder: 'ring=canary, role=web (empty: every host of the account)' });
  const hostIds = h('input', { name: 'hosts', placeholder: 'host ids, comma-separated (optional)' });
  const risk = select('risk', [['low', 'low'], ['medium', 'medium'], ['high', 'high'], ['critical', 'critical']], 'medium');
  const desc = h('textarea', { name: 'description', rows: 2 });
  const rollout = h('textarea', { name: 'rollout', rows: 4, class: 'mono', placeholder: '{"rings":[{"name":"all","tags":{}}],"waves":["1"]} (empty: the server default)' });
  const status = h('div', { 'aria-live': 'assertive' });
  const loadDocs = async () => {
    const a = account.value;
    put(baseline, h('option', { value: '' }, 'loading…'));
    put(win, h('option', { value: '' }, 'none: start when approved'));
    try {
      const [b, w] = await Promise.all([get(`/v1/accounts/${encodeURIComponent(a)}/baselines`), get(`/v1/accounts/${encodeURIComponent(a)}/windows`)]);
      put(baseline, ...(b.baselines.length ? b.baselines.map((x) => h('option', { value: x.name }, x.name)) : [h('option', { value: '' }, 'no baseline in this account')]));
      w.windows.forEach((x) => win.append(h('option', { value: x.name }, x.name + ' (' + (x.tz || x.mode || '') + ')')));
    } catch (e) {
      put(status, errorBox(e));
    }
  };
  account.addEventListener('change', loadDocs);
  const form = h('form', { class: 'stack', 'aria-labelledby': 'new-title' },
    h('h1', { id: 'new-title' }, 'New change request'),
    field('Account', account), field('Title', title), field('Baseline', baseline, 'what is approved: the updates are frozen per host at creation'),
    field('Maintenance window', win), field('Target tags', tags), field('Target hosts', hostIds), field('Risk', risk),
    field('Description', desc), field('Rollout (JSON)', rollout, 'rings, waves, error budget, on_failure: docs/orchestration.md'),
    status, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create draft'), h('a', { href: '#/changes' }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { account: account.value, title: title.value.trim(), baseline: baseline.value, risk: risk.value };
    if (win.value) body.window = win.value;
    if (desc.value.trim()) body.description = desc.value.trim();
    const t = {};
    for (const kv of tags.value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = kv.indexOf('=');
      if (i < 1) { put(status, h('p', { class: 'error', role: 'alert' }, 'Target tags are key=value pairs: ' + kv)); return; }
      t[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const ids = hostIds.value.split(',').map((s) => s.trim()).filter(Boolean);
    body.targets = ids.length ? { hosts: ids } : { tags: t };
    if (ids.length && Object.keys(t).length) body.targets.tags = t;
    if (rollout.value.trim()) {
      try { body.rollout = JSON.parse(rollout.value); } catch (e) {
        put(status, h('p', { class: 'error', role: 'alert' }, 'The rollout is not JSON: ' + e.message)); return;
      }
    }
    put(status, loading('Creating…'));
    try {
      const c = await post('/v1/change-requests', body);
      location.hash = '#/changes/' + c.id;
    } catch (e) {
      put(status, errorBox(e));
    }
  });
  put(main, form);
  await loadDocs();
}

function votesList(c) {
  if (!c.votes || !c.votes.length) return empty('No votes yet.');
  return h('ul', { class: 'votes' }, c.votes.map((v) => h('li', {}, badge(v.decision), ' ', v.user, ' · ', fmtTime(v.at), v.comment ? ' — ' + v.comment : '')));
}

function planTable(p, m) {
  return [
    h('p', { class: 'count' }, `${p.hosts_total} hosts in ${p.waves.length} waves; window mode ${p.mode}` + (p.not_before_horizon ? `; ${p.not_before_horizon} hosts beyond the planning horizon` : '')),
    table('Waves', [
      { label: 'Wave', render: (w) => String(w.wave), rowHeader: true },
      { label: 'Ring', render: (w) => w.ring },
      { label: 'Hosts', render: (w) => String(w.hosts), class: 'num' },
      { label: 'First start (local time here)', render: (w) => fmtTime(w.first_start) },
      { label: 'Last start', render: (w) => fmtTime(w.last_start) }], p.waves, { captionHidden: true, class: 'compact' }),
    table('Hosts of the plan', [
      { label: 'Host', render: (x) => hostLink(m, x.host), rowHeader: true },
      { label: 'Ring / wave', render: (x) => x.ring + ' / ' + x.wave },
      { label: 'Time zone', render: (x) => x.tz },
      { label: 'Planned (host local)', render: (x) => x.planned_local || '—' },
      { label: 'Planned (UTC)', render: (x) => x.planned_utc || '—' }], p.hosts.slice(0, 200), { captionHidden: true, class: 'compact' }),
  ];
}

function rolloutView(ro, m) {
  const total = ro.hosts.length;
  const done = ro.hosts.filter((x) => ['succeeded', 'failed', 'rolled_back', 'skipped', 'cancelled'].includes(x.state)).length;
  const failed = ro.hosts.filter((x) => ['failed', 'rolled_back'].includes(x.state)).length;
  const prog = h('progress', { max: String(total || 1), value: String(done), id: 'ro-progress', 'aria-label': 'Hosts finished' });
  return [
    h('p', { class: 'count', id: 'ro-status' }, 'Rollout ', badge(ro.status), ` · wave ${Math.min(ro.wave + 1, ro.waves)} of ${ro.waves} · ${done} of ${total} hosts finished · ${failed} failed or rolled back · failures counted toward the budget: ${ro.failures}`),
    prog,
    table('Waves', [
      { label: 'Wave', render: (w) => String(w.wave), rowHeader: true },
      { label: 'Ring', render: (w) => w.ring },
      { label: 'Hosts', render: (w) => String(w.hosts), class: 'num' },
      { label: 'Running', render: (w) => String(w.running), class: 'num' },
      { label: 'Succeeded', render: (w) => String(w.succeeded), class: 'num' },
      { label: 'Failed', render: (w) => String(w.failed), class: 'num' }], ro.wave_list, { captionHidden: true, class: 'compact' }),
    table('Hosts of the rollout', [
      { label: 'Host', render: (x) => hostLink(m, x.host), rowHeader: true },
      { label: 'Wave', render: (x) => String(x.wave) },
      { label: 'State', render: (x) => badge(x.state) },
      { label: 'Job', render: (x) => (x.job ? h('code', {}, x.job) : '—') },
      { label: 'Rollback job', render: (x) => (x.rollback_job ? h('code', {}, x.rollback_job) : '—') },
      { label: 'Started (host local)', render: (x) => x.started_local || '—' }], ro.hosts.slice(0, 500), { captionHidden: true, class: 'compact', id: 'ro-hosts' }),
  ];
}

// Host id -> name for the tables (one page of the account's hosts; past it the id is shown).
const names = new Map();
async function loadNames(account) {
  if (names.has(account)) return names.get(account);
  const m = new Map();
  try {
    for (const x of (await get('/v1/hosts' + qs({ account, limit: 1000 }))).hosts) m.set(x.id, x.hostname);
  } catch (e) { /* ids are shown instead */ }
  names.set(account, m);
  return m;
}
const hostLink = (m, id) => h('a', { href: '#/hosts/' + id }, m.get(id) || id);

export async function renderOne(main, r, ctx) {
  const id = r.params[0];
  let timer = null;
  let stopped = false;
  const head = h('div', {});
  const actions = h('div', { class: 'actions', id: 'cr-actions' });
  const msg = h('div', { 'aria-live': 'assertive' });
  const votes = h('div', {});
  const plan = h('div', {}, loading());
  const live = h('div', { id: 'rollout' });
  put(main, head, actions, msg,
    h('section', { class: 'panel', 'aria-labelledby': 'cr-votes' }, h('h2', { id: 'cr-votes' }, 'Votes'), votes),
    h('section', { class: 'panel', 'aria-labelledby': 'cr-ro' }, h('h2', { id: 'cr-ro' }, 'Rollout'), live),
    h('section', { class: 'panel', 'aria-labelledby': 'cr-plan' }, h('h2', { id: 'cr-plan' }, 'Plan'), plan));

  const act = (label, path, cls) => h('button', { type: 'button', class: cls || '', 'data-action': path, on: { click: async (ev) => {
    const b = ev.currentTarget;
    b.disabled = true;
    clear(msg);
    try {
      await post(`/v1/change-requests/${id}/${path}`, {});
      say(label + ': done');
      await refresh();
    } catch (e) {
      msg.append(errorBox(e));
      b.disabled = false;
    }
  } } }, label);

  async function refresh() {
    let c;
    try {
      c = await get('/v1/change-requests/' + id);
    } catch (e) {
      put(head, h('h1', {}, 'Change request'), e.status === 404 ? empty('No such change request (or not one of your accounts).') : errorBox(e));
      return;
    }
    const me = ctx.me.user;
    const author = c.author === me;
    put(head, h('div', { class: 'page-head' }, h('h1', {}, c.title), badge(c.state), h('a', { href: '#/changes' }, '← All change requests')),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Id'), h('dd', {}, h('code', {}, c.id)),
        h('dt', {}, 'Account'), h('dd', {}, c.account),
        h('dt', {}, 'Author'), h('dd', {}, c.author + (author ? ' (you)' : '')),
        h('dt', {}, 'Baseline'), h('dd', {}, c.baseline),
        h('dt', {}, 'Window'), h('dd', {}, c.window || 'none'),
        h('dt', {}, 'Risk'), h('dd', {}, c.risk || '—'),
        h('dt', {}, 'Update set'), h('dd', {}, `${c.update_set.updates} updates on ${c.update_set.hosts} hosts (frozen at creation)`),
        h('dt', {}, 'Approvals'), h('dd', { id: 'cr-approvals' }, `${c.approvals} of ${c.approvals_required}` + (c.review_pending ? ' · review pending' : '')),
        h('dt', {}, 'Created'), h('dd', {}, fmtTime(c.created))));
    clear(actions);
    const approver = ctx.can(c.account, 'approver') && !author;
    const operator = ctx.can(c.account, 'operator');
    if (c.state === 'draft' && author && operator) actions.append(act('Submit for approval', 'submit', 'primary'));
    if (c.state === 'submitted' && approver) actions.append(act('Approve', 'approve', 'primary'), act('Reject', 'reject', 'danger'));
    if (c.review_pending && approver) actions.append(act('Review', 'review'));
    const ros = c.rollout && c.rollout.status;
    if (operator && ros && !FINAL.includes(c.state)) {
      if (ros === 'paused' || ros === 'halted') actions.append(act('Resume', 'resume', 'primary'));
      else if (ros === 'running' || ros === 'scheduled') actions.append(act('Pause', 'pause'));
    }
    if (operator && !FINAL.includes(c.state)) actions.append(act('Cancel request', 'cancel', 'danger'));
    if (c.state === 'submitted' && author) actions.append(h('p', { class: 'hint' }, 'Someone other than you must approve your request.'));
    else if (c.state === 'submitted' && !ctx.can(c.account, 'approver')) actions.append(h('p', { class: 'hint' }, 'Approving needs the role approver on ' + c.account + '.'));
    put(votes, votesList(c));
    if (ros) {
      try {
        const ro = await get(`/v1/change-requests/${id}/rollout`);
        put(live, ...rolloutView(ro, await loadNames(c.account)));
        document.body.dataset.rollout = ro.status;
      } catch (e) {
        put(live, errorBox(e));
      }
    } else {
      put(live, empty('No rollout yet: it is made when the request is approved.'));
    }
    document.body.dataset.crState = c.state;
    if (!stopped && !FINAL.includes(c.state) && c.state !== 'draft') {
      clearTimeout(timer);
      timer = setTimeout(refresh, POLL_MS);
    }
    return c;
  }

  const c = await refresh();
  if (c && !FINAL.includes(c.state)) {
    try {
      put(plan, ...planTable(await get(`/v1/change-requests/${id}/plan`), await loadNames(c.account)));
    } catch (e) {
      put(plan, errorBox(e));
    }
  } else {
    put(plan, empty('The request is finished; the rollout above is what happened.'));
  }
  return () => { stopped = true; clearTimeout(timer); };
}
