// DOM helpers: every piece of data becomes a text node (textContent), never markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Replace el's children (null and false are skipped, unlike Element.append's "null" text).
export function put(el, ...children) {
  return append(clear(el), children);
}

export function fmtTime(sec) {
  if (!sec) return '—';
  const d = new Date(sec * 1000);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function fmtUtc(sec) {
  if (!sec) return '—';
  return new Date(sec * 1000).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
}

export function fmtAgo(sec) {
  if (!sec) return 'never';
  const s = Math.max(0, Math.round(Date.now() / 1000 - sec));
  if (s < 90) return s + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 129600) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}

export function badge(text, kind) {
  return h('span', { class: 'badge ' + (kind || String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-')) }, text);
}

export function empty(text) { return h('p', { class: 'empty' }, text); }
export function loading(text) { return h('p', { class: 'loading', role: 'status' }, text || 'Loading…'); }
export function errorBox(err) {
  const msg = err && err.message ? err.message : String(err);
  const code = err && err.code ? ' (' + err.code + (err.status ? ', HTTP ' + err.status : '') + ')' : '';
  return h('p', { class: 'error', role: 'alert' }, msg + code);
}

// A table: cols = [{label, render(row) -> node|string, class}], rows = [...].
export function table(caption, cols, rows, opts) {
  const o = opts || {};
  const thead = h('thead', {}, h('tr', {}, cols.map((c) => {
    const th = h('th', { scope: 'col', class: c.class }, c.header || c.label);
    if (c.sort) th.setAttribute('aria-sort', c.sort);
    return th;
  })));
  const tbody = h('tbody', {}, rows.map((r) => h('tr', {}, cols.map((c) =>
    h(c.rowHeader ? 'th' : 'td', { class: c.class, scope: c.rowHeader ? 'row' : null }, c.render(r))))));
  return h('div', { class: 'table-wrap' }, h('table', { class: o.class || '' },
    h('caption', { class: o.captionHidden ? 'visually-hidden' : '' }, caption), thead, tbody));
}

export function say(text) {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}

export function field(label, control, hint) {
  const id = control.id || ('f-' + Math.random().toString(36).slice(2, 9));
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    hint ? h('span', { class: 'hint' }, hint) : null);
}

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) =>
    h('option', { value: v, selected: v === value }, label)));
}
