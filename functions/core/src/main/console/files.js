import { download, call, get } from './api.js';
import { ago, announce, bytes, fill, h, table } from './dom.js';

/** The Files view: the caller's files, a page at a time, each to download or delete. */
export function filesView(main) {
  const tbody = h('tbody');
  const error = h('p', { class: 'error', role: 'alert' });
  const more = h('button', { type: 'button', hidden: true }, 'More files');
  let after = null;

  fill(
    main,
    h('h2', {}, 'Files'),
    error,
    table({
      id: 'files',
      className: 'cards',
      caption: 'Files, newest first',
      hideCaption: true,
      columns: ['File', 'Name', 'Purpose', 'Size', 'Created', ''],
      body: tbody,
    }),
    more,
  );

  function row(file) {
    const remove = h('button', { type: 'button', 'data-action': 'delete' }, 'Delete');
    let armed = null;
    remove.addEventListener('click', async () => {
      // Two presses: a file deleted is gone, and no dialog should stand in the keyboard's way.
      if (!armed) {
        remove.textContent = 'Confirm delete';
        armed = setTimeout(() => {
          armed = null;
          remove.textContent = 'Delete';
        }, 5000);
        return;
      }
      clearTimeout(armed);
      try {
        await call('DELETE', `/files/${encodeURIComponent(file.id)}`);
        tr.remove();
        announce(`Deleted ${file.filename}`);
      } catch (e) {
        error.textContent = e.message;
      }
    });
    const save = h(
      'button',
      {
        type: 'button',
        'data-action': 'download',
        onclick: () => download(`/files/${encodeURIComponent(file.id)}/content`, file.filename).catch((e) => (error.textContent = e.message)),
      },
      'Download',
    );
    const tr = h(
      'tr',
      { 'data-file-id': file.id },
      h('td', { 'data-label': 'File' }, file.id),
      h('td', { 'data-label': 'Name' }, file.filename),
      h('td', { 'data-label': 'Purpose' }, file.purpose),
      h('td', { 'data-label': 'Size' }, bytes(file.bytes)),
      h('td', { 'data-label': 'Created' }, ago(file.created_at)),
      h('td', { class: 'row-actions' }, save, ' ', remove),
    );
    return tr;
  }

  async function load() {
    try {
      const query = new URLSearchParams({ limit: '50' });
      if (after) query.set('after', after);
      const page = await get(`/files?${query}`);
      tbody.append(...page.data.map(row));
      after = page.data.length ? page.data[page.data.length - 1].id : after;
      more.hidden = !page.has_more;
      if (!tbody.children.length) fill(tbody, h('tr', {}, h('td', { colspan: 6 }, 'No files.')));
    } catch (e) {
      if (e.status === 401) throw e;
      error.textContent = e.message;
    }
  }
  more.addEventListener('click', load);
  return load();
}
