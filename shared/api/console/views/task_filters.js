// The task list's search: one box that takes a task id, an input key prefix or a file name, and a
// created-time range. The values map straight onto the list API's task_id, input_prefix,
// input_contains, created_from and created_to.
import { t } from '../i18n.js';
import { h, button, uid } from '../ui.js';

const TASK_ID = /^\d+-WorkflowTask-[0-9a-f]{32}t\d+$/i;

/** ISO time (UTC) -> the value of a datetime-local input (local time, minutes). */
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function toIso(localValue, endOfMinute) {
  if (!localValue) return '';
  const d = new Date(localValue);
  if (Number.isNaN(d.getTime())) return '';
  if (endOfMinute) d.setSeconds(59, 999);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What the box holds, as list API parameters: a task id, a key prefix ("input/2026/") or a part
 * of the key such as a file name ("clip.mp4"). */
export function searchTerms(text) {
  const value = String(text || '').trim();
  const none = { task_id: '', input_prefix: '', input_contains: '' };
  if (!value) return none;
  if (TASK_ID.test(value)) return { ...none, task_id: value };
  return value.includes('/') ? { ...none, input_prefix: value } : { ...none, input_contains: value };
}

/**
 * The search form. ``initial`` has task_id, input_prefix, created_from, created_to;
 * ``onChange(values)`` receives the same keys whenever the user submits or clears.
 */
export function taskFilters(initial, onChange) {
  const searchId = uid('task-search');
  const search = h('input', { type: 'search', id: searchId, value: initial.task_id || initial.input_prefix || initial.input_contains || '',
    placeholder: t('tasks.searchPlaceholder'), 'data-testid': 'task-search', autocomplete: 'off', spellcheck: false });
  const from = h('input', { type: 'datetime-local', value: toLocalInput(initial.created_from), 'data-testid': 'created-from', 'aria-label': t('tasks.createdFrom'), title: t('tasks.createdFrom') });
  const to = h('input', { type: 'datetime-local', value: toLocalInput(initial.created_to), 'data-testid': 'created-to', 'aria-label': t('tasks.createdTo'), title: t('tasks.createdTo') });
  const values = () => ({ ...searchTerms(search.value), created_from: toIso(from.value, false), created_to: toIso(to.value, true) });
  const submit = () => onChange(values());
  from.addEventListener('change', submit);
  to.addEventListener('change', submit);
  search.addEventListener('search', () => { if (!search.value) submit(); });
  const form = h('form', { class: 'search', role: 'search', onsubmit: (e) => { e.preventDefault(); submit(); } },
    h('label', { for: searchId, class: 'sr-only' }, t('tasks.searchLabel')),
    search,
    button(t('common.search'), { type: 'submit', testid: 'task-search-submit' }));
  const node = h('div', { class: 'input-filters' },
    h('span', { class: 'muted small' }, t('tasks.created')), from, h('span', { class: 'muted', 'aria-hidden': 'true' }, '–'), to, form);
  return {
    node,
    clear() { search.value = ''; from.value = ''; to.value = ''; },
  };
}
