// Building the page from data: every value goes in as text (a text node or an attribute), never as HTML.

/** An element with attributes, listeners (on…) and children; strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's content with these children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Says something to screen readers without moving focus. */
export function announce(text) {
  document.getElementById('announce').textContent = text;
}

const UNITS = [
  ['d', 86400],
  ['h', 3600],
  ['min', 60],
  ['s', 1],
];

/** How long ago a Unix time was, in its largest unit: "3 min". */
export function age(unixSeconds, now = Date.now() / 1000) {
  const seconds = Math.max(0, Math.round(now - unixSeconds));
  for (const [unit, size] of UNITS) {
    if (seconds >= size || unit === 's') return `${Math.floor(seconds / size)} ${unit}`;
  }
  return '';
}

/** A Unix time as the reader's local date and time. */
export function when(unixSeconds) {
  return unixSeconds == null ? '—' : new Date(unixSeconds * 1000).toLocaleString();
}

/** A <time> element for a Unix time, its age as text and the exact time as title. */
export function ago(unixSeconds) {
  return h('time', { datetime: new Date(unixSeconds * 1000).toISOString(), title: when(unixSeconds) }, age(unixSeconds));
}

export function bytes(n) {
  if (n == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Metadata as "key: value" pairs, as text. */
export function metadataText(metadata) {
  return Object.entries(metadata ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/**
 * A table in a box that scrolls sideways if it must: a caption (shown, or for screen readers only),
 * a header cell per column, and the body given.
 */
export function table({ id, caption, hideCaption = false, columns, body, className }) {
  return h(
    'div',
    { class: 'table' },
    h(
      'table',
      { id, class: className },
      h('caption', { class: hideCaption ? 'visually-hidden' : null }, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      body,
    ),
  );
}
