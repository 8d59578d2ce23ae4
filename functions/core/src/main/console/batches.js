import { get } from './api.js';
import { age, fill, h, metadataText, table } from './dom.js';
import { progressBar } from './progress.js';

export const STATUSES = [
  'validating',
  'in_progress',
  'finalizing',
  'completed',
  'failed',
  'expired',
  'cancelling',
  'cancelled',
];

/** The ended statuses, after which a batch no longer changes. */
export const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);

const SCAN_PAGES = 10;

/** A batch's job, as the Batch shows it: job_id, else the metadata's job. */
export function jobOf(batch) {
  return batch.job_id ?? batch.metadata?.job_id ?? batch.metadata?.job ?? '—';
}

/**
 * The Batches view: newest first, a page at a time, filtered by status, refreshed every few seconds
 * in place (rows keep their elements, so focus and reading position stay).
 */
export function batchesView(main, every) {
  const status = h(
    'select',
    { id: 'status-filter' },
    h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s }, s)),
  );
  const limit = h(
    'select',
    { id: 'page-size' },
    [10, 20, 50, 100].map((n) => h('option', { value: n, selected: n === 20 }, String(n))),
  );
  const newer = h('button', { type: 'button', disabled: true }, 'Newer');
  const older = h('button', { type: 'button', disabled: true }, 'Older');
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No batches.');
  const error = h('p', { class: 'error', role: 'alert' });
  const rows = new Map();
  // Cursors of the pages before this one; this page starts after `cursor`.
  const previous = [];
  let cursor = null;
  let next = null;

  fill(
    main,
    h('h2', {}, 'Batches'),
    h(
      'div',
      { class: 'controls' },
      h('label', { for: 'status-filter' }, 'Status '),
      status,
      h('label', { for: 'page-size' }, 'Per page '),
      limit,
    ),
    error,
    table({
      id: 'batches',
      className: 'cards',
      caption: 'Batches, newest first',
      hideCaption: true,
      columns: ['Batch', 'Status', 'Progress', 'Job', 'Endpoint', 'Model', 'Age', 'Metadata'],
      body: tbody,
    }),
    empty,
    h('div', { class: 'pager' }, newer, older),
  );

  function row(batch) {
    let r = rows.get(batch.id);
    if (!r) {
      const progress = progressBar();
      // Each cell names its column (data-label), which a phone-width screen shows beside it.
      const cells = {
        status: h('td', { class: 'status', 'data-label': 'Status' }),
        job: h('td', { 'data-label': 'Job' }),
        endpoint: h('td', { 'data-label': 'Endpoint' }),
        model: h('td', { 'data-label': 'Model' }),
        age: h('td', { 'data-label': 'Age' }),
        metadata: h('td', { class: 'metadata', 'data-label': 'Metadata' }),
      };
      const tr = h(
        'tr',
        { 'data-batch-id': batch.id },
        h('td', { 'data-label': 'Batch' }, h('a', { href: `#/batches/${encodeURIComponent(batch.id)}` }, batch.id)),
        cells.status,
        h('td', { 'data-label': 'Progress' }, progress),
        cells.job,
        cells.endpoint,
        cells.model,
        cells.age,
        cells.metadata,
      );
      r = { tr, progress, cells };
      rows.set(batch.id, r);
    }
    r.cells.status.textContent = batch.status;
    r.cells.status.dataset.status = batch.status;
    r.progress.update(batch.request_counts);
    r.cells.job.textContent = jobOf(batch);
    r.cells.endpoint.textContent = batch.endpoint;
    r.cells.model.textContent = batch.model ?? '—';
    fill(r.cells.age, h('time', { datetime: new Date(batch.created_at * 1000).toISOString() }, age(batch.created_at)));
    r.cells.metadata.textContent = metadataText(batch.metadata);
    return r.tr;
  }

  /** A page of matching batches after `from`: the server's pages, scanned until enough match. */
  async function page(from) {
    const size = Number(limit.value);
    const wanted = status.value;
    const found = [];
    let after = from;
    let more = true;
    for (let scanned = 0; more && found.length < size && scanned < (wanted ? SCAN_PAGES : 1); scanned++) {
      const query = new URLSearchParams({ limit: String(wanted ? 100 : size) });
      if (after) query.set('after', after);
      const answer = await get(`/batches?${query}`);
      more = answer.has_more;
      for (const batch of answer.data) {
        after = batch.id;
        if (!wanted || batch.status === wanted) found.push(batch);
        if (found.length === size) {
          more = more || batch !== answer.data[answer.data.length - 1];
          break;
        }
      }
    }
    return { batches: found, next: more ? after : null };
  }

  async function refresh() {
    try {
      const answer = await page(cursor);
      next = answer.next;
      const wanted = answer.batches.map(row);
      const shown = [...tbody.children];
      if (wanted.length !== shown.length || wanted.some((tr, i) => tr !== shown[i])) tbody.replaceChildren(...wanted);
      for (const id of [...rows.keys()]) if (!answer.batches.some((b) => b.id === id)) rows.delete(id);
      empty.hidden = wanted.length > 0;
      newer.disabled = previous.length === 0;
      older.disabled = next == null;
      error.textContent = '';
    } catch (e) {
      error.textContent = e.message;
      if (e.status === 401) throw e;
    }
  }

  const restart = () => {
    previous.length = 0;
    cursor = null;
    refresh();
  };
  status.addEventListener('change', restart);
  limit.addEventListener('change', restart);
  older.addEventListener('click', () => {
    previous.push(cursor);
    cursor = next;
    refresh();
  });
  newer.addEventListener('click', () => {
    cursor = previous.pop() ?? null;
    refresh();
  });
  every(refresh);
}
