import { ApiError, get, post, postForm } from './api.js';
import { bytes, fill, h } from './dom.js';

/** Files above this go up through the Uploads API, in parts of this size (the API's single-request limit). */
export const PART_BYTES = 4 * 1024 * 1024;

const ENDPOINTS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses', '/v1/moderations'];

/** Which field of the form an error's param belongs to. */
function fieldOf(param) {
  if (!param) return null;
  if (param === 'input_file_id' || param === 'file' || param === 'purpose' || param === 'bytes') return 'file';
  if (param === 'job_id') return 'job';
  if (param.startsWith('metadata')) return 'metadata';
  if (param === 'endpoint' || param === 'completion_window') return param.replace('_', '-');
  return null;
}

function field(id, label, control, hint) {
  const error = h('p', { class: 'field-error', id: `${id}-error` });
  control.id = id;
  control.setAttribute('aria-describedby', [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' '));
  return {
    el: h('div', { class: 'field' }, h('label', { for: id }, label), hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, control, error),
    control,
    error,
  };
}

/** Parses "key: value" lines; blank lines are skipped. */
function metadataOf(text) {
  const metadata = {};
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const colon = line.indexOf(':');
    if (colon < 1) throw new ApiError(400, { message: `Line ${i + 1} is not "key: value".`, param: 'metadata' });
    metadata[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  });
  return metadata;
}

/** The New batch view: a JSONL file up (in one request, or in parts), then the batch of it. */
export function newBatchView(main, go) {
  const fields = {
    file: field('file', 'Requests (JSONL file)', h('input', { type: 'file', accept: '.jsonl,application/jsonl,text/plain', required: true }), 'One request per line, as OpenAI\'s Batch API has them.'),
    endpoint: field('endpoint', 'Endpoint', h('select', {}, ENDPOINTS.map((e) => h('option', { value: e }, e)))),
    job: field('job', 'Job', h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }), 'A job id (job-…); empty for the deployment\'s default job.'),
    'completion-window': field('completion-window', 'Completion window', h('select', {}, h('option', { value: '24h' }, '24h'), h('option', { value: 'unlimited' }, 'unlimited'))),
    metadata: field('metadata', 'Metadata', h('textarea', { rows: 3, spellcheck: 'false' }), 'One "key: value" a line, at most 16.'),
  };
  const uploadBar = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true, 'aria-label': 'Upload' });
  const uploadText = h('span', { id: 'upload-text' });
  const general = h('p', { class: 'error', role: 'alert', id: 'form-error', tabindex: -1 });
  const submit = h('button', { type: 'submit' }, 'Create batch');
  const form = h(
    'form',
    { id: 'new-batch', novalidate: true },
    Object.values(fields).map((f) => f.el),
    h('div', { class: 'upload' }, uploadBar, ' ', uploadText),
    general,
    submit,
  );
  fill(main, h('h2', {}, 'New batch'), form);

  function clear() {
    general.textContent = '';
    for (const f of Object.values(fields)) {
      f.error.textContent = '';
      f.control.removeAttribute('aria-invalid');
    }
  }

  function show(e) {
    const name = fieldOf(e.param);
    const target = name && fields[name];
    if (target) {
      fill(target.error, e.message);
      target.control.setAttribute('aria-invalid', 'true');
      target.control.focus();
    } else {
      general.textContent = e.message;
      general.focus();
    }
  }

  function progress(sent, total) {
    uploadBar.hidden = false;
    uploadBar.max = total;
    uploadBar.value = Math.min(sent, total);
    uploadText.textContent = `Uploaded ${bytes(Math.min(sent, total))} of ${bytes(total)}`;
  }

  async function upload(file) {
    if (file.size <= PART_BYTES) {
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', file, file.name);
      return postForm('/files', form, (sent) => progress(Math.min(sent, file.size), file.size));
    }
    const created = await post('/uploads', { purpose: 'batch', filename: file.name, bytes: file.size, mime_type: 'text/jsonl' });
    const partIds = [];
    for (let from = 0; from < file.size; from += PART_BYTES) {
      const part = new FormData();
      part.append('data', file.slice(from, Math.min(file.size, from + PART_BYTES)), file.name);
      const answer = await postForm(`/uploads/${created.id}/parts`, part, (sent) => progress(from + sent, file.size));
      partIds.push(answer.id);
      progress(Math.min(file.size, from + PART_BYTES), file.size);
    }
    const completed = await post(`/uploads/${created.id}/complete`, { part_ids: partIds });
    return completed.file;
  }

  /** Waits out validation; a file refused whole shows its lines' errors beside the file. */
  async function settle(batch) {
    const deadline = Date.now() + 15000;
    while (batch.status === 'validating' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 700));
      batch = await get(`/batches/${encodeURIComponent(batch.id)}`);
    }
    if (batch.status === 'failed' && batch.errors?.data?.length) {
      fill(
        fields.file.error,
        h('span', {}, 'The file was refused: '),
        h('ul', { id: 'file-errors' }, batch.errors.data.map((e) => h('li', {}, e.line != null ? `line ${e.line}: ` : '', e.message))),
        h('a', { href: `#/batches/${encodeURIComponent(batch.id)}` }, `Batch ${batch.id}`),
      );
      fields.file.control.setAttribute('aria-invalid', 'true');
      fields.file.control.focus();
      return;
    }
    go(`#/batches/${encodeURIComponent(batch.id)}`);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear();
    const file = fields.file.control.files[0];
    if (!file) {
      show({ message: 'Choose a JSONL file of requests.', param: 'file' });
      return;
    }
    submit.disabled = true;
    try {
      const metadata = metadataOf(fields.metadata.control.value);
      const uploaded = await upload(file);
      const body = {
        input_file_id: uploaded.id,
        endpoint: fields.endpoint.control.value,
        completion_window: fields['completion-window'].control.value,
      };
      if (fields.job.control.value.trim()) body.job_id = fields.job.control.value.trim();
      if (Object.keys(metadata).length) body.metadata = metadata;
      await settle(await post('/batches', body));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) throw e;
      show(e);
    } finally {
      submit.disabled = false;
    }
  });
}
