import { h } from './dom.js';

/** A bar of completed, failed and remaining lines of a batch's total, with the counts in words. */
export function progressBar() {
  const completed = h('span', { class: 'done' });
  const failed = h('span', { class: 'failed' });
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0 }, completed, failed);
  const words = h('span', { class: 'counts' });
  const el = h('div', { class: 'progress' }, bar, words);
  el.update = (counts) => {
    const total = counts?.total ?? 0;
    const done = counts?.completed ?? 0;
    const bad = counts?.failed ?? 0;
    const remaining = Math.max(0, total - done - bad);
    const percent = total === 0 ? 0 : Math.floor(((done + bad) * 100) / total);
    // Widths through the CSSOM, which the Content-Security-Policy allows (style attributes it would not).
    completed.style.width = total === 0 ? '0' : `${(done * 100) / total}%`;
    failed.style.width = total === 0 ? '0' : `${(bad * 100) / total}%`;
    const text = `${done} completed, ${bad} failed, ${remaining} remaining of ${total}`;
    bar.setAttribute('aria-valuemax', String(total));
    bar.setAttribute('aria-valuenow', String(done + bad));
    bar.setAttribute('aria-valuetext', `${percent}%: ${text}`);
    bar.dataset.percent = String(percent);
    words.textContent = `${percent}% · ${text}`;
  };
  return el;
}
