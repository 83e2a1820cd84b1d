// Hosts: filter, sort and page on the server (GET /v1/hosts with q, account, region, zone, os,
// tag, compliance, catchup, sort, offset, limit, count): the page holds one page of rows, so
// 100,000 hosts cost what 50 do. The state lives in the URL (back and forward work).
import { get, qs } from './api.js';
import { h, put, clear, errorBox, empty, fmtAgo, fmtTime, badge, field, select, say } from './dom.js';

const PAGE = 50;
const FILTERS = ['q', 'account', 'region', 'zone', 'os', 'tag', 'compliance', 'catchup'];
const COLS = [
  ['hostname', 'Host'], ['account', 'Account'], ['region', 'Region'], ['zone', 'Zone'],
  [null, 'Tags'], ['os', 'OS'], ['last_seen', 'Last seen'], ['compliance', 'Compliance'], ['risk', 'Findings'],
];

function tagsText(tags) {
  return Object.entries(tags || {}).map(([k, v]) => k + '=' + v).join(', ');
}

export async function render(main, r, ctx) {
  const q = r.query;
  const state = {};
  for (const k of FILTERS) state[k] = q.get(k) || '';
  state.sort = q.get('sort') || 'hostname';
  state.offset = Math.max(0, parseInt(q.get('offset') || '0', 10) || 0);
  const go = (patch) => {
    const next = { ...state, ...patch };
    if (next.sort === 'hostname') next.sort = '';
    if (!next.offset) next.offset = '';
    location.hash = '#/hosts' + qs(next);
  };

  const inputs = {
    q: h('input', { name: 'q', type: 'search', value: state.q, placeholder: 'part of a host name', maxlength: 255 }),
    account: select('account', [['', 'any']].concat(ctx.accounts.map((a) => [a.name, a.name])), state.account),
    region: h('input', { name: 'region', value: state.region, placeholder: 'eu-central-1' }),
    zone: h('input', { name: 'zone', value: state.zone, placeholder: 'eu-central-1a' }),
    os: h('input', { name: 'os', value: state.os, placeholder: 'debian or debian:12' }),
    tag: h('input', { name: 'tag', value: state.tag, placeholder: 'ring=canary' }),
    compliance: select('compliance', [['', 'any'], ['compliant', 'compliant'], ['noncompliant', 'not compliant'], ['unknown', 'unknown']], state.compliance),
    catchup: select('catchup', [['', 'any'], ['true', 'needs catch-up'], ['false', 'no catch-up']], state.catchup),
  };
  const labels = { q: 'Host name', account: 'Account', region: 'Region', zone: 'Zone', os: 'OS', tag: 'Tag (key=value)', compliance: 'Compliance', catchup: 'Catch-up' };
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter hosts' },
    FILTERS.map((k) => field(labels[k], inputs[k])),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
      h('button', { type: 'button', on: { click: () => { location.hash = '#/hosts'; } } }, 'Clear')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const patch = { offset: 0 };
    for (const k of FILTERS) patch[k] = inputs[k].value.trim();
    go(patch);
  });
  const results = h('div', { id: 'host-results', 'aria-busy': 'true' }, h('p', { class: 'loading', role: 'status' }, 'Loading hosts…'));
  put(main, h('div', { class: 'page-head' }, h('h1', {}, 'Hosts')), form, results);

  const params = { limit: PAGE, count: 1, sort: state.sort, offset: state.offset || '' };
  for (const k of FILTERS) params[k] = state[k];
  let doc;
  try {
    doc = await get('/v1/hosts' + qs(params));
  } catch (e) {
    put(results, errorBox(e));
    results.setAttribute('aria-busy', 'false');
    return;
  }
  results.setAttribute('aria-busy', 'false');
  const total = doc.total;
  const rows = doc.hosts;
  const from = rows.length ? state.offset + 1 : 0;
  const to = state.offset + rows.length;
  const summary = h('p', { class: 'count', id: 'host-count' }, total === 0 ? 'No hosts match.' :
    `Hosts ${from.toLocaleString()}–${to.toLocaleString()} of ${total.toLocaleString()}`);
  say(summary.textContent);
  const desc = state.sort.startsWith('-');
  const key = state.sort.replace(/^-/, '');
  const head = h('tr', {}, COLS.map(([k, label]) => {
    if (!k) return h('th', { scope: 'col' }, label);
    const cur = k === key;
    const th = h('th', { scope: 'col', 'aria-sort': cur ? (desc ? 'descending' : 'ascending') : 'none' },
      h('button', { type: 'button', class: 'sort', 'data-sort': k,
        'aria-label': `Sort by ${label}` + (cur ? (desc ? ', now descending' : ', now ascending') : ''),
        on: { click: () => go({ sort: cur && !desc ? '-' + k : k, offset: 0 }) } },
      label, h('span', { 'aria-hidden': 'true', class: 'arrow' }, cur ? (desc ? ' ▼' : ' ▲') : '')));
    return th;
  }));
  const body = h('tbody', {}, rows.map((x) => {
    const f = x.findings || {};
    const cu = (x.catchup || []).length;
    return h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: '#/hosts/' + x.id }, x.hostname)),
      h('td', {}, x.account), h('td', {}, x.region || '—'), h('td', {}, x.zone || '—'),
      h('td', { class: 'tags' }, tagsText(x.tags) || '—'),
      h('td', {}, [x.os, x.os_release].filter(Boolean).join(' ') || '—'),
      h('td', { title: fmtTime(x.last_seen) }, fmtAgo(x.last_seen), x.stale ? badge('stale') : null),
      h('td', {}, badge(x.compliance), cu ? badge('catch-up', 'warn') : null),
      h('td', { class: 'num' }, x.kev ? badge('KEV ' + x.kev, 'kev') : null, ` ${f.critical || 0} crit · ${f.high || 0} high`, x.overdue ? badge(x.overdue + ' overdue', 'bad') : null));
  }));
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of hosts' },
    h('button', { type: 'button', disabled: state.offset === 0, on: { click: () => go({ offset: Math.max(0, state.offset - PAGE) }) } }, '← Previous'),
    h('span', {}, total ? `page ${Math.floor(state.offset / PAGE) + 1} of ${Math.max(1, Math.ceil(total / PAGE)).toLocaleString()}` : ''),
    h('button', { type: 'button', disabled: to >= total, on: { click: () => go({ offset: state.offset + PAGE }) } }, 'Next →'));
  put(results, summary,
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'hosts-table' },
      h('caption', { class: 'visually-hidden' }, 'Hosts; the column buttons sort'), h('thead', {}, head), body))
      : empty(Object.values(state).some((v) => v && v !== 'hostname') ? 'No host matches these filters.' : 'No hosts yet: enroll agents to see them here.'),
    rows.length ? pager : null);
}
