// Audit log, reports and tracking: their APIs come with another issue. The page asks the
// server; until the route exists it says so instead of showing an empty table.
import { get } from './api.js';
import { h, put, clear, empty, errorBox, table, fmtTime } from './dom.js';

const PAGES = {
  audit: { title: 'Audit log', path: '/v1/audit', key: 'entries', doc: 'docs/audit.md' },
  reports: { title: 'Reports', path: '/v1/reports', key: 'reports', doc: 'docs/compliance.md' },
  tracking: { title: 'Tracking', path: '/v1/tracking', key: 'records', doc: 'docs/tracking.md' },
};

export async function render(main, r) {
  const p = PAGES[r.params[0]];
  let d;
  try {
    d = await get(p.path);
  } catch (e) {
    put(main, h('h1', {}, p.title), e.status === 404 && e.code === 'not_found' && /route/.test(e.message)
      ? empty(`This server has no ${p.title.toLowerCase()} API yet (${p.path}); see ${p.doc} when it lands.`)
      : errorBox(e));
    return;
  }
  const rows = (d && (d[p.key] || d.items || [])) || [];
  const cols = rows.length ? Object.keys(rows[0]).filter((k) => typeof rows[0][k] !== 'object').slice(0, 7) : [];
  put(main, h('h1', {}, p.title), rows.length ? table(p.title, cols.map((k) => ({
    label: k, render: (x) => (/^(at|time|created|updated)$/.test(k) && typeof x[k] === 'number' ? fmtTime(x[k]) : String(x[k] ?? '')),
  })), rows, { captionHidden: true }) : empty('Nothing recorded yet.'));
}
