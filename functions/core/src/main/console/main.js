import 'uplot/dist/uPlot.min.css';
import './console.css';
import { ApiError, get, key } from './api.js';
import { batchView } from './batch.js';
import { batchesView } from './batches.js';
import { fill, h } from './dom.js';
import { filesView } from './files.js';
import { newBatchView } from './newbatch.js';

/** How often a view that shows running batches asks again. */
const POLL_MS = 3000;

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signOut = document.getElementById('sign-out');
// Each view gets a generation; a poll of an older one stops.
let generation = 0;

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** Runs `task` now and again every few seconds while its view is shown, until it answers false. */
function every(task) {
  const mine = generation;
  const run = async () => {
    if (mine !== generation) return;
    let again = true;
    try {
      again = (await task()) !== false;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        signIn(e.message);
        return;
      }
      console.error(e);
    }
    if (again && mine === generation) setTimeout(run, POLL_MS);
  };
  run();
}

function signIn(message) {
  generation++;
  key.clear();
  nav.hidden = true;
  signOut.hidden = true;
  const input = h('input', { type: 'password', id: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'api-key-hint api-key-error' });
  const error = h('p', { class: 'field-error', id: 'api-key-error' }, message ?? '');
  const form = h(
    'form',
    { id: 'sign-in', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), h('p', { class: 'hint', id: 'api-key-hint' }, 'Kept in this tab only (session storage), sent as a Bearer token to the API.'), input, error),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    key.set(input.value.trim());
    try {
      await get('/batches?limit=1');
      start();
    } catch (e) {
      key.clear();
      error.textContent = e.message;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  });
  fill(main, h('h2', {}, 'Sign in'), form);
  input.focus();
}

function route() {
  generation++;
  const hash = location.hash || '#/batches';
  const batch = hash.match(/^#\/batches\/([^/]+)$/);
  for (const a of nav.querySelectorAll('a')) {
    if (hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (batch) batchView(main, decodeURIComponent(batch[1]), every, go);
  else if (hash === '#/new') newBatchView(main, go);
  else if (hash === '#/files') filesView(main);
  else batchesView(main, every);
  const heading = main.querySelector('h2');
  document.title = `${heading ? heading.textContent : 'Console'} · openbatch`;
}

function start() {
  nav.hidden = false;
  signOut.hidden = !key.get();
  route();
}

signOut.addEventListener('click', () => signIn());
window.addEventListener('hashchange', () => {
  if (!nav.hidden) {
    route();
    main.focus();
  }
});
// A 401 from any action (the key revoked meanwhile) asks for a key again.
window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError && event.reason.status === 401) {
    event.preventDefault();
    signIn(event.reason.message);
  }
});

// A deployment without API keys answers without one: then none is asked.
get('/batches?limit=1').then(start, (e) => (e instanceof ApiError && e.status === 401 ? signIn() : start()));
