// The REST API client: bearer token from storage (never in URLs), JSON in and out,
// errors as ApiError with the API's code and message.
import { t, serverText } from './i18n.js';

const TOKEN_KEY = 'openmps.token';
// The page is served at the gateway's root ("/" locally, "/release/" behind a stage), so
// API paths are resolved relative to it.
export const BASE = new URL('./', location.href.split('#')[0]);

export class ApiError extends Error {
  constructor(status, code, message, params) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.params = params || {};
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(token, remember) {
  clearToken();
  (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
}

const listeners = new Set();
/** Called with no arguments when the API answers 401 (token gone or revoked). */
export function onUnauthorized(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function url(path, query) {
  const u = new URL(path.replace(/^\//, ''), BASE);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u;
}

async function parseError(resp) {
  let code = `HTTP${resp.status}`;
  let message = '';
  let params = {};
  try {
    const data = await resp.json();
    if (data && data.error) {
      code = data.error.message_code || data.error.code || code;
      message = data.error.message || '';
      params = data.error.message_params || {};
    }
  } catch { /* not JSON: keep the status */ }
  if (!message) message = t('error.http', { status: resp.status });
  return new ApiError(resp.status, code, message, params);
}

/** Call the API; resolves with the parsed JSON body, rejects with ApiError. */
export async function api(method, path, { query, body, token, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const auth = token ?? getToken();
  if (auth) headers.Authorization = `Bearer ${auth}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(url(path, query), {
      method, headers, signal, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NetworkError', t('error.network'));
  }
  if (!resp.ok) {
    const err = await parseError(resp);
    if (resp.status === 401 && token === undefined) listeners.forEach((fn) => fn(err));
    throw err;
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { throw new ApiError(resp.status, 'BadResponse', t('error.badResponse')); }
}

export const get = (path, query, opts) => api('GET', path, { ...opts, query });
export const post = (path, body, opts) => api('POST', path, { ...opts, body: body ?? {} });
export const put = (path, body, opts) => api('PUT', path, { ...opts, body });
export const del = (path, opts) => api('DELETE', path, opts);

/**
 * PUT a File to a signed URL with upload progress (fetch has none): onProgress(loaded, total).
 * Returns {promise, abort}.
 */
export function uploadTo(uploadUrl, method, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open(method || 'PUT', uploadUrl);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(e.loaded, e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) { onProgress?.(file.size, file.size); resolve(); return; }
      let code = `HTTP${xhr.status}`; let message = t('error.http', { status: xhr.status });
      try { const e = JSON.parse(xhr.responseText).error; code = e.code || code; message = e.message || message; } catch { /* keep */ }
      reject(new ApiError(xhr.status, code, message));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NetworkError', t('error.network')));
    xhr.onabort = () => reject(new ApiError(0, 'Aborted', t('upload.aborted')));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

/** The error as one readable line in the console's language: "message (Code)". */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (!err.code || err.code.startsWith('HTTP') || ['NetworkError', 'BadResponse', 'Aborted'].includes(err.code)) return err.message;
    return `${serverText(err.code, err.message, err.params)} (${err.code})`;
  }
  return (err && err.message) || String(err);
}
