// Hash routing and shared look-ups, kept apart from app.js so views can import them without a cycle.
import { get, ApiError } from './api.js';

let renderHook = () => {};
export function setRenderHook(fn) { renderHook = fn; }

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  const name = path.split('/')[0] || 'tasks';
  return { name, params: Object.fromEntries(new URLSearchParams(qs || '')) };
}

export function hashFor(name, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return `#/${name}${qs ? `?${qs}` : ''}`;
}

/** Go to a view. `replace` rewrites the current history entry (filters typed into a page). */
export function navigate(name, params = {}, { replace = false, silent = false } = {}) {
  const hash = hashFor(name, params);
  if (location.hash === hash) { if (!silent) renderHook(); return; }
  if (replace || silent) { history.replaceState(null, '', hash); if (!silent) renderHook(); } else location.hash = hash;
}

let configCache = null;
export const FALLBACK_CONFIG = { input_bucket: 'openmps-input-1250000000', output_bucket: 'openmps-output-1250000000', upload_prefix: 'input/' };

/** The API's /config (buckets, upload prefix); defaults if the route is missing. */
export async function config() {
  if (configCache) return configCache;
  try {
    configCache = { ...FALLBACK_CONFIG, ...(await get('api/v1/config')) };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
    configCache = { ...FALLBACK_CONFIG };
  }
  return configCache;
}
export function forgetConfig() { configCache = null; }
