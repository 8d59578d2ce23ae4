import { ApiError, download, get, post } from './api.js';
import { ENDED, jobOf } from './batches.js';
import { announce, fill, h, when } from './dom.js';
import { progressBar } from './progress.js';
import { reportView } from './report.js';

const TIMES = [
  ['created_at', 'Created'],
  ['in_progress_at', 'In progress'],
  ['finalizing_at', 'Finalizing'],
  ['completed_at', 'Completed'],
  ['failed_at', 'Failed'],
  ['expired_at', 'Expired'],
  ['cancelling_at', 'Cancelling'],
  ['cancelled_at', 'Cancelled'],
  ['expires_at', 'Expires'],
];

const CANCELLABLE = new Set(['validating', 'in_progress', 'finalizing']);

function pairs(entries) {
  return h(
    'dl',
    {},
    entries.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value == null || value === '' ? '—' : value)]),
  );
}

/** One batch: its status and times, progress, files, Cancel and Retry, and its report. */
export function batchView(main, id, every, go) {
  const heading = h('h2', {}, 'Batch ', h('span', { class: 'id' }, id));
  const status = h('p', { id: 'batch-status', class: 'status' });
  const progress = progressBar();
  const facts = h('div', { class: 'facts' });
  const times = h('div', { class: 'times' });
  const failures = h('div', { class: 'file-errors' });
  const actionError = h('p', { class: 'error', role: 'alert', id: 'action-error' });
  const cancel = h('button', { type: 'button', id: 'cancel', hidden: true }, 'Cancel batch');
  const retry = h('button', { type: 'button', id: 'retry', hidden: true }, 'Retry failed lines');
  const downloads = h('div', { class: 'downloads' });
  const report = reportView();
  let batch = null;

  fill(
    main,
    h('p', {}, h('a', { href: '#/batches' }, '← All batches')),
    heading,
    status,
    h('section', { 'aria-labelledby': 'progress-heading' }, h('h3', { id: 'progress-heading' }, 'Progress'), progress),
    h('div', { class: 'actions' }, cancel, retry),
    actionError,
    h('section', { 'aria-labelledby': 'files-heading' }, h('h3', { id: 'files-heading' }, 'Results'), downloads),
    failures,
    h(
      'section',
      { 'aria-labelledby': 'facts-heading' },
      h('h3', { id: 'facts-heading' }, 'Details'),
      h('div', { class: 'columns' }, facts, times),
    ),
    report.el,
  );

  function fileButton(label, path, filename, name) {
    return h(
      'button',
      {
        type: 'button',
        'data-download': name,
        onclick: async () => {
          actionError.textContent = '';
          try {
            await download(path, filename);
            announce(`Downloaded ${filename}`);
          } catch (e) {
            actionError.textContent = e.message;
          }
        },
      },
      label,
    );
  }

  function render() {
    status.textContent = `Status: ${batch.status}`;
    status.dataset.status = batch.status;
    progress.update(batch.request_counts);
    cancel.hidden = !CANCELLABLE.has(batch.status);
    retry.hidden = !(ENDED.has(batch.status) && batch.error_file_id);
    const files = [];
    if (batch.output_file_id) files.push(fileButton('Download output file', `/files/${batch.output_file_id}/content`, `${batch.id}-output.jsonl`, 'output'));
    if (batch.error_file_id) files.push(fileButton('Download error file', `/files/${batch.error_file_id}/content`, `${batch.id}-errors.jsonl`, 'errors'));
    if (!ENDED.has(batch.status) && batch.status !== 'validating') {
      files.push(fileButton('Download results so far', `/batches/${batch.id}/output`, `${batch.id}-output-partial.jsonl`, 'partial-output'));
      files.push(fileButton('Download errors so far', `/batches/${batch.id}/errors`, `${batch.id}-errors-partial.jsonl`, 'partial-errors'));
    }
    const shown = [...downloads.querySelectorAll('button')].map((b) => b.dataset.download).join();
    if (shown !== files.map((b) => b.dataset.download).join()) {
      fill(downloads, files.length ? files : h('p', {}, 'No result files yet.'));
    }
    const usage = batch.usage
      ? `${batch.usage.input_tokens} in, ${batch.usage.output_tokens} out, ${batch.usage.total_tokens} in all`
      : null;
    fill(
      facts,
      pairs([
        ['Endpoint', batch.endpoint],
        ['Model', batch.model],
        ['Job', jobOf(batch)],
        ['Completion window', batch.completion_window],
        ['Input file', batch.input_file_id],
        ['Tokens', usage],
      ]),
      h('h4', {}, 'Metadata'),
      Object.keys(batch.metadata ?? {}).length ? pairs(Object.entries(batch.metadata)) : h('p', {}, 'None.'),
    );
    fill(times, h('h4', {}, 'Times'), pairs(TIMES.filter(([k]) => batch[k] != null).map(([k, label]) => [label, when(batch[k])])));
    const errors = batch.errors?.data ?? [];
    fill(
      failures,
      errors.length
        ? [
            h('h3', {}, 'Why the input file was refused'),
            h(
              'ul',
              { id: 'batch-errors' },
              errors.map((e) =>
                h('li', {}, e.line != null ? `Line ${e.line}: ` : '', e.message, e.param ? ` (${e.param})` : ''),
              ),
            ),
          ]
        : [],
    );
  }

  cancel.addEventListener('click', async () => {
    actionError.textContent = '';
    try {
      batch = await post(`/batches/${encodeURIComponent(id)}/cancel`);
      render();
      announce(`Batch ${batch.status}`);
    } catch (e) {
      actionError.textContent = e.message;
    }
  });
  retry.addEventListener('click', async () => {
    actionError.textContent = '';
    try {
      const again = await post(`/batches/${encodeURIComponent(id)}/retry`);
      announce(`Retrying the failed lines as ${again.id}`);
      go(`#/batches/${encodeURIComponent(again.id)}`);
    } catch (e) {
      actionError.textContent = e.message;
    }
  });

  every(async () => {
    try {
      batch = await get(`/batches/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        fill(main, h('h2', {}, 'No such batch'), h('p', { role: 'alert' }, e.message), h('a', { href: '#/batches' }, 'All batches'));
        return false;
      }
      throw e;
    }
    render();
    await report.refresh(id);
    return !ENDED.has(batch.status) || !report.final;
  });
}
