// The public API, relative to the page (so it works under an API Gateway stage), with the user's key.

const KEY = 'openbatch.api_key';

/** An answer in OpenAI's error envelope: message, param and code as the server said them. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `The server answered ${status}.`);
    this.status = status;
    this.param = error?.param ?? null;
    this.code = error?.code ?? null;
  }
}

export const key = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

function headers(extra = {}) {
  const all = { ...extra };
  const k = key.get();
  if (k) all.Authorization = `Bearer ${k}`;
  return all;
}

async function failure(response) {
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    // not OpenAI's envelope (a gateway's own answer): the status says it
  }
  return new ApiError(response.status, envelope?.error ?? (envelope?.message ? { message: envelope.message } : null));
}

/** Sends a request to /v1/…; answers the response, or throws an ApiError. */
export async function call(method, path, json) {
  const init = { method, headers: headers(), credentials: 'omit', cache: 'no-store' };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  const response = await fetch(`v1${path}`, init);
  if (!response.ok) throw await failure(response);
  return response;
}

export async function get(path) {
  return (await call('GET', path)).json();
}

export async function post(path, json = {}) {
  return (await call('POST', path, json)).json();
}

/**
 * Sends a multipart form with XMLHttpRequest, the one browser API that reports upload progress;
 * onProgress gets the bytes sent so far.
 */
export function postForm(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `v1${path}`);
    for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (e) => onProgress?.(e.loaded));
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body?.error ?? (body?.message ? { message: body.message } : null)));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { message: 'The upload could not reach the server.' })));
    xhr.send(form);
  });
}

/** Saves what a GET answers as a file of this name, through the browser's download. */
export async function download(path, filename) {
  let response;
  try {
    response = await call('GET', path);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    // A large file is answered with a redirect to storage on another origin, which this page may not read.
    throw new ApiError(0, {
      message: `This file could not be fetched here (large files are handed out from storage): curl -L -H "Authorization: Bearer $KEY" <base>/v1${path}`,
    });
  }
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
