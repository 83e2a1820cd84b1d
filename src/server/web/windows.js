// Maintenance windows and their next openings per host, in the host's local time and in UTC
// (GET /v1/accounts/{account}/windows/{name}/next).
import { get, qs } from './api.js';
import { h, put, clear, errorBox, empty, table, loading } from './dom.js';

export async function render(main, r, ctx) {
  const out = h('div', {});
  put(main, h('div', { class: 'page-head' }, h('h1', {}, 'Maintenance windows')), out);
  const accounts = ctx.accounts.map((a) => a.name);
  if (!accounts.length) { out.append(empty('You see no account.')); return; }
  for (const a of accounts) {
    let d;
    try {
      d = await get(`/v1/accounts/${encodeURIComponent(a)}/windows`);
    } catch (e) {
      out.append(h('h2', {}, a), errorBox(e));
      continue;
    }
    const sec = h('section', { class: 'panel', 'aria-label': 'Windows of ' + a }, h('h2', {}, 'Account ' + a));
    out.append(sec);
    if (!d.windows.length) { sec.append(empty('No windows in this account.')); continue; }
    for (const w of d.windows) {
      const next = h('div', {});
      const btn = h('button', { type: 'button', 'aria-expanded': 'false', on: { click: async () => {
        if (btn.getAttribute('aria-expanded') === 'true') { clear(next); btn.setAttribute('aria-expanded', 'false'); btn.textContent = 'Show next openings'; return; }
        btn.setAttribute('aria-expanded', 'true');
        btn.textContent = 'Hide next openings';
        put(next, loading());
        try {
          const n = await get(`/v1/accounts/${encodeURIComponent(a)}/windows/${encodeURIComponent(w.name)}/next` + qs({ count: 3 }));
          const rows = [];
          for (const x of n.hosts) for (const o of x.next) rows.push({ x, o });
          put(next, rows.length ? table('Next openings of ' + w.name, [
            { label: 'Host', render: (v) => h('a', { href: '#/hosts/' + v.x.host }, v.x.hostname), rowHeader: true },
            { label: 'Time zone', render: (v) => v.x.tz },
            { label: 'Opens (host local)', render: (v) => v.o.open_local },
            { label: 'Opens (UTC)', render: (v) => v.o.open_utc },
            { label: 'Last start (UTC)', render: (v) => v.o.start_until_utc || '—' },
            { label: 'Closes (host local)', render: (v) => v.o.close_local }], rows, { captionHidden: true, class: 'compact' })
            : empty('No host of this account, or no opening ahead.'));
        } catch (e) {
          put(next, errorBox(e));
        }
      } } }, 'Show next openings');
      const def = [w.mode, w.tz, w.rrule, w.start ? 'from ' + w.start : '', w.duration ? (w.duration / 3600).toFixed(1) + ' h' : ''].filter(Boolean).join(' · ');
      sec.append(h('div', { class: 'window' }, h('h3', {}, w.name), h('p', { class: 'sub' }, def), btn, next));
    }
  }
}
