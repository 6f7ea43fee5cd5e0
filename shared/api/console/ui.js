// Small DOM helpers: element builder, buttons with "why disabled" tooltips, modal dialogs
// (native <dialog>: focus stays inside, Esc closes), confirm, toasts, formatting.
import { t, getLang } from './i18n.js';
import { describeError } from './api.js';

/** h('button', {class: 'x', onclick: fn, 'data-testid': 'y'}, 'text', childNode, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key in el && !key.startsWith('aria-') && !key.startsWith('data-') && key !== 'role' && key !== 'for' && key !== 'list') {
      el[key] = value;
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) { el.replaceChildren(); append(el, children); return el; }

/**
 * A button. When `disabledReason` is set the button is visibly disabled (aria-disabled keeps it
 * focusable so keyboard users can read the reason), its title says why and clicks do nothing.
 */
export function button(label, { onClick, kind = 'default', disabledReason, testid, title, icon, small, type = 'button', ...rest } = {}) {
  const classes = ['btn', `btn-${kind}`];
  if (small) classes.push('btn-sm');
  const el = h('button', { type, class: classes.join(' '), 'data-testid': testid, ...rest },
    icon ? h('span', { class: 'icon', 'aria-hidden': 'true', text: icon }) : null, label);
  if (disabledReason) {
    el.setAttribute('aria-disabled', 'true');
    el.title = disabledReason;
    el.dataset.disabledReason = disabledReason;
    el.addEventListener('click', (e) => { e.preventDefault(); e.stopImmediatePropagation(); });
  } else {
    if (title) el.title = title;
    if (onClick) el.addEventListener('click', onClick);
  }
  return el;
}

const ICONS = {
  copy: 'M5 1h8a2 2 0 0 1 2 2v8h-2V3H5V1zM1 6a2 2 0 0 1 2-2h7a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V6zm2 0v7h7V6H3z',
};
/** A small inline SVG icon (no font glyphs: they are missing on some systems). */
export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16'); svg.setAttribute('width', '14'); svg.setAttribute('height', '14');
  svg.setAttribute('aria-hidden', 'true'); svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', ICONS[name]); path.setAttribute('fill', 'currentColor'); path.setAttribute('fill-rule', 'evenodd');
  svg.append(path);
  return svg;
}

let idCounter = 0;
export const uid = (prefix = 'id') => `${prefix}-${++idCounter}`;

/** A labelled form field: returns the wrapper; the control gets an id and a <label for>. */
export function field(label, control, { hint, required, wide } = {}) {
  if (!control.id) control.id = uid('f');
  if (required) control.required = true;
  const hintEl = hint ? h('div', { class: 'hint', id: uid('hint') }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: `field${wide ? ' field-wide' : ''}` },
    h('label', { for: control.id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
    control, hintEl);
}

export function select(options, value, attrs = {}) {
  const el = h('select', attrs);
  for (const opt of options) {
    const [v, label] = Array.isArray(opt) ? opt : [opt, opt];
    el.append(h('option', { value: String(v), selected: String(v) === String(value) }, label));
  }
  return el;
}

// ---- dialogs ---------------------------------------------------------------------------------
const openDialogs = [];

/**
 * A modal dialog. `content` is a node (or a function getting the dialog API and returning one).
 * Returns {el, body, close, setContent}. Esc and the close button close it; focus returns to
 * the element that opened it.
 */
export function openDialog({ title, content, actions, size = 'md', testid, onClose, className } = {}) {
  const opener = document.activeElement;
  const titleId = uid('dlg-title');
  const body = h('div', { class: 'dialog-body' });
  const footer = h('div', { class: 'dialog-footer' });
  const dialog = h('dialog', { class: `dialog dialog-${size} ${className || ''}`, 'aria-labelledby': titleId, 'data-testid': testid });
  let closed = false;
  const api = {
    el: dialog, body, footer,
    close(result) {
      if (closed) return;
      closed = true;
      dialog.close();
      dialog.remove();
      openDialogs.splice(openDialogs.indexOf(api), 1);
      onClose?.(result);
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    },
    setContent(node) { clear(body, node); },
    setActions(nodes) { clear(footer, nodes); footer.hidden = !nodes || !nodes.length; },
  };
  const closeBtn = h('button', { type: 'button', class: 'icon-btn dialog-close', 'aria-label': t('common.close'), title: t('common.close'), onclick: () => api.close() }, '×');
  dialog.append(h('div', { class: 'dialog-header' }, h('h2', { id: titleId, class: 'dialog-title' }, title), closeBtn), body, footer);
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); api.close(); });
  dialog.addEventListener('click', (e) => { if (e.target === dialog) api.close(); }); // backdrop
  api.setContent(typeof content === 'function' ? content(api) : content);
  api.setActions(actions ? (typeof actions === 'function' ? actions(api) : actions) : []);
  document.body.append(dialog);
  openDialogs.push(api);
  dialog.showModal();
  const first = dialog.querySelector('[autofocus]')
    || body.querySelector('input, select, textarea, button, a[href], [tabindex="0"], video') || footer.querySelector('button');
  (first || closeBtn).focus();
  return api;
}

export function closeAllDialogs() { [...openDialogs].reverse().forEach((d) => d.close()); }

/** Resolves true when the user confirms. */
export function confirmDialog({ title, message, confirmLabel, danger = false, testid = 'confirm-dialog' }) {
  return new Promise((resolve) => {
    let result = false;
    openDialog({
      title, size: 'sm', testid,
      content: h('p', { class: 'confirm-message' }, message),
      actions: (dlg) => [
        // A destructive action starts on Cancel; a harmless one on its confirm button.
        button(t('common.cancel'), { onClick: () => dlg.close(), testid: 'confirm-cancel', autofocus: danger }),
        button(confirmLabel || t('common.confirm'), {
          kind: danger ? 'danger' : 'primary', testid: 'confirm-ok', autofocus: !danger,
          onClick: () => { result = true; dlg.close(); },
        }),
      ],
      onClose: () => resolve(result),
    });
  });
}

// ---- toasts and messages -----------------------------------------------------------------------
export function toast(message, kind = 'info', timeout = 5000) {
  let region = document.getElementById('toasts');
  if (!region) return;
  // Inside an open modal the page behind is inert: show the toast in the top dialog instead.
  const top = openDialogs[openDialogs.length - 1];
  if (top) {
    let local = top.el.querySelector('.toasts-local');
    if (!local) { local = h('div', { class: 'toasts toasts-local', role: 'status', 'aria-live': 'polite' }); top.el.append(local); }
    region = local;
  }
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'toast-text' }, message),
    h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('common.close'), onclick: () => el.remove() }, '×'));
  region.append(el);
  while (region.children.length > 3) region.firstElementChild.remove(); // keep the newest few
  if (timeout) setTimeout(() => el.remove(), kind === 'error' ? timeout * 2 : timeout);
  return el;
}

export function toastError(err) { return toast(describeError(err), 'error'); }

/** An inline error panel (instead of a blank page), with an optional retry. */
export function errorPanel(err, retry) {
  return h('div', { class: 'error-panel', role: 'alert', 'data-testid': 'error-panel' },
    h('strong', {}, t('error.title')), h('p', {}, describeError(err)),
    retry ? button(t('common.retry'), { onClick: retry }) : null);
}

export function loading(label) {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), label || t('common.loading'));
}

export function emptyState(text, ...actions) {
  return h('div', { class: 'empty' }, h('p', {}, text), actions);
}

// ---- formatting -------------------------------------------------------------------------------
const pad = (n) => String(n).padStart(2, '0');

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtSize(bytes) {
  if (bytes === undefined || bytes === null || bytes === '') return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(bytes); let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${i ? v.toFixed(v < 10 ? 2 : 1) : v} ${units[i]}`;
}

export function fmtSeconds(s) {
  if (s === undefined || s === null || s === '' || Number.isNaN(Number(s))) return '—';
  const total = Number(s);
  const m = Math.floor(total / 60); const sec = total - m * 60;
  return m ? `${m}:${sec.toFixed(1).padStart(4, '0')}` : `${sec.toFixed(sec < 10 ? 2 : 1)}s`;
}

export function fmtNumber(n) {
  if (n === undefined || n === null) return '—';
  return Number(n).toLocaleString(getLang());
}

export function fmtValue(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? v.join(', ') : JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A definition list from [[label, value], ...]; values may be nodes. */
export function kvList(rows, attrs = {}) {
  return h('dl', { class: 'kv', ...attrs }, rows.filter(Boolean).map(([k, v]) => [
    h('dt', {}, k), h('dd', {}, v instanceof Node ? v : fmtValue(v)),
  ]));
}

export function progressBar(value, label) {
  const v = Math.max(0, Math.min(100, Number(value) || 0));
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(v), 'aria-label': label || t('common.progress') },
    h('div', { class: 'progress-fill' }));
  bar.firstChild.style.width = `${v}%`;
  return h('div', { class: 'progress-wrap' }, bar, h('span', { class: 'progress-text' }, `${v}%`));
}

/** Copy text to the clipboard, with a toast. */
export async function copyText(text) {
  try { await navigator.clipboard.writeText(text); toast(t('common.copied'), 'success', 2000); } catch { toast(text, 'info'); }
}

/** Start a browser download of a (signed) URL without leaving the page. */
export function startDownload(href, filename) {
  const a = h('a', { href, download: filename || '', rel: 'noopener', class: 'sr-only' });
  document.body.append(a);
  a.click();
  a.remove();
}
