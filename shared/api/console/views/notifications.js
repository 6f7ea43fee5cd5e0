// Event notifications in the console: the notify fields of the create-task and workflow forms,
// and the Notifications section of a task's details (history of each event, Resend).
import { t } from '../i18n.js';
import { get, post } from '../api.js';
import { h, clear, button, field, select, toast, toastError, errorPanel, fmtTime } from '../ui.js';

const enc = encodeURIComponent;
const BADGE = { pending: 'waiting', delivered: 'success', failed: 'fail' };

// The URL, mode and key inputs; value() is the request's `notify` (null when no URL is given).
// A saved key is never shown: an empty key field keeps it (key_set), a new value replaces it.
export function notifyFields(current, prefix) {
  const url = h('input', { type: 'url', value: current?.url || '', spellcheck: false, placeholder: 'https://example.com/mps-events', 'data-testid': `${prefix}-notify-url` });
  const mode = select([['finish', t('notify.mode.finish')], ['change', t('notify.mode.change')]], current?.mode || 'finish', { 'data-testid': `${prefix}-notify-mode` });
  const key = h('input', { type: 'password', value: '', autocomplete: 'new-password', spellcheck: false, 'data-testid': `${prefix}-notify-key`,
    placeholder: current?.key_set ? t('notify.keyKept') : '' });
  const el = h('fieldset', { class: 'notify-fields' }, h('legend', {}, t('notify.legend')),
    h('p', { class: 'muted small' }, t('notify.help')),
    h('div', { class: 'form-row' },
      field(t('notify.url'), url, { wide: true }),
      field(t('notify.mode'), mode),
      field(t('notify.key'), key, { hint: t('notify.keyHint') })));
  const value = () => {
    if (!url.value.trim()) return null;
    const out = { url: url.value.trim(), mode: mode.value };
    if (key.value) out.key = key.value;
    else if (current?.key_set) out.key_set = true;
    return out;
  };
  return { el, value };
}

function tryLine(x) {
  const outcome = x.status != null ? `HTTP ${x.status}` : (x.error || '?');
  return `${fmtTime(x.at)} · ${outcome} · ${x.duration_ms} ms`;
}

// The Notifications section of a task's details: loads on open, refreshes after a resend.
export function notificationsSection(taskId) {
  const body = h('div', { 'data-testid': 'notifications-body' });
  const el = h('details', { class: 'notifications', 'data-testid': 'notifications' },
    h('summary', {}, t('notify.section')), body);
  let loaded = false;
  async function load() {
    try {
      const data = await get(`api/v1/tasks/${enc(taskId)}/notifications`);
      const rows = (data.notifications || []).map((n) => h('tr', { 'data-testid': 'notification-row', 'data-event-id': n.event_id },
        h('td', {}, h('code', {}, n.event_id)),
        h('td', {}, n.transition === 'FINISH' ? t('notify.finish') : n.transition),
        h('td', {}, h('span', { class: `badge badge-${BADGE[n.state] || 'waiting'}`, 'data-testid': 'notification-state', 'data-state': n.state }, t(`notify.state.${n.state}`, {}, n.state))),
        h('td', {}, n.tries.length ? h('ol', { class: 'plain small' }, n.tries.map((x) => h('li', {}, tryLine(x)))) : h('span', { class: 'muted' }, '—')),
        h('td', {}, n.next_try_at ? fmtTime(n.next_try_at) : '—'),
        h('td', {}, button(t('notify.resend'), { small: true, testid: 'notification-resend', onClick: async () => {
          try {
            await post(`api/v1/tasks/${enc(taskId)}/notifications/${enc(n.event_id)}/resend`);
            toast(t('notify.resent'), 'success');
            setTimeout(load, 800);
          } catch (err) { toastError(err); }
        } }))));
      const target = data.notify ? h('p', { class: 'small' }, t('notify.target', { url: data.notify.url, mode: t(`notify.mode.${data.notify.mode}`) })) : null;
      clear(body, target, rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
        h('caption', { class: 'sr-only' }, t('notify.section')),
        h('thead', {}, h('tr', {}, ['col.event', 'col.transition', 'col.state', 'col.tries', 'col.next', 'col.ops'].map((k) => h('th', { scope: 'col' }, t(`notify.${k}`))))),
        h('tbody', {}, rows))) : h('p', { class: 'muted' }, t('notify.none')));
    } catch (err) { clear(body, errorPanel(err, load)); }
  }
  el.addEventListener('toggle', () => { if (el.open && !loaded) { loaded = true; load(); } });
  return el;
}
