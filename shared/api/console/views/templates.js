// Templates: presets and custom templates per subtask type; create, edit, copy, delete custom ones.
import { t } from '../i18n.js';
import { get, post, put, del, describeError } from '../api.js';
import { h, clear, button, field, select, openDialog, confirmDialog, toast, toastError, errorPanel, loading, fmtValue, kvList, uid } from '../ui.js';
import { navigate } from '../router.js';
import { SUBTASK_TYPES, typeName, templateSummary } from './common.js';

const META = new Set(['definition', 'type', 'name', 'comment', 'preset', 'create_time', 'update_time', 'account', 'params']);
const CHOICES = {
  container: ['mp4', 'hls'], video_codec: ['h264', 'h265', 'vp9', 'av1'], audio_codec: ['aac', 'mp3', 'opus'],
  encoder_preset: ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow'],
  kind: ['time_offset', 'sampled', 'sprite'], format: ['jpg', 'png', 'webp'], sample_type: ['percent', 'time'],
  deinterlace: ['off', 'auto', 'all'], denoise: ['off', 'weak', 'normal', 'strong'], denoise_method: ['hqdn3d', 'nlmeans'],
  sharpen: ['off', 'weak', 'normal', 'strong'], color_enhance: ['off', 'weak', 'normal', 'strong'],
  audio_denoise: ['off', 'weak', 'normal', 'strong'], frame_interpolation: ['mci', 'blend', 'dup'],
};

const cache = new Map();
/** Templates of one type (cached until a template changes). */
export function loadTemplates(type) {
  if (!cache.has(type)) {
    const p = get('api/v1/templates', { type }).then((d) => (d.templates || []).filter((x) => !x.type || x.type === type));
    p.catch(() => cache.delete(type));
    cache.set(type, p);
  }
  return cache.get(type);
}
const invalidate = () => cache.clear();

export function paramsOf(tpl) {
  const flat = { ...(tpl.params && typeof tpl.params === 'object' ? tpl.params : {}) };
  for (const [k, v] of Object.entries(tpl)) if (!META.has(k)) flat[k] = v;
  return flat;
}

export function render(main, params) {
  const type = SUBTASK_TYPES.includes(params.type) ? params.type : 'Transcode';
  let disposed = false;
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('tpl.types') }, SUBTASK_TYPES.map((ty) => h('button', {
    type: 'button', role: 'tab', class: `tab${ty === type ? ' active' : ''}`, 'aria-selected': String(ty === type), tabindex: ty === type ? '0' : '-1',
    'data-testid': `tpl-tab-${ty}`, onclick: () => navigate('templates', { type: ty }),
    onkeydown: (e) => {
      const i = SUBTASK_TYPES.indexOf(ty);
      const next = e.key === 'ArrowRight' ? SUBTASK_TYPES[(i + 1) % SUBTASK_TYPES.length] : e.key === 'ArrowLeft' ? SUBTASK_TYPES[(i + SUBTASK_TYPES.length - 1) % SUBTASK_TYPES.length] : null;
      if (next) { e.preventDefault(); navigate('templates', { type: next }); setTimeout(() => document.querySelector(`[data-testid="tpl-tab-${next}"]`)?.focus(), 0); }
    },
  }, typeName(ty))));
  const body = h('div', { role: 'tabpanel', 'aria-label': typeName(type) }, loading());
  clear(main,
    h('div', { class: 'page-head' }, h('h1', {}, t('tpl.title'))),
    h('p', { class: 'muted' }, t('tpl.help')),
    h('div', { class: 'toolbar' }, tabs, h('div', { class: 'toolbar-right' },
      button(t('tpl.new'), { kind: 'primary', testid: 'tpl-new', onClick: () => editor({ type }, { isNew: true, reload }) }))),
    body);

  async function reload() {
    invalidate();
    try {
      const list = await loadTemplates(type);
      if (disposed) return;
      if (!list.length) { clear(body, h('p', { class: 'empty' }, t('tpl.empty'))); return; }
      const presetReason = t('tpl.presetReadOnly');
      clear(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'tpl-table' },
        h('caption', { class: 'sr-only' }, t('tpl.caption', { type: typeName(type) })),
        h('thead', {}, h('tr', {}, [t('tpl.col.definition'), t('tpl.col.name'), t('tpl.col.params'), t('tpl.col.source'), t('tpl.col.ops')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, list.map((x) => h('tr', { 'data-testid': 'tpl-row', 'data-definition': String(x.definition) },
          h('td', { 'data-label': t('tpl.col.definition') }, h('code', {}, String(x.definition))),
          h('td', { 'data-label': t('tpl.col.name') }, h('div', {}, x.name), x.comment ? h('div', { class: 'muted small' }, x.comment) : null),
          h('td', { 'data-label': t('tpl.col.params'), class: 'small' }, templateSummary(x) || '—'),
          h('td', { 'data-label': t('tpl.col.source') }, h('span', { class: `badge ${x.preset ? 'badge-waiting' : 'badge-processing'}` }, x.preset ? t('tpl.preset') : t('tpl.customOne'))),
          h('td', { class: 'cell-ops' }, h('div', { class: 'ops' },
            button(t('tpl.view'), { kind: 'link', small: true, onClick: () => viewTemplate(x) }),
            button(t('tpl.edit'), { kind: 'link', small: true, testid: 'tpl-edit', disabledReason: x.preset ? presetReason : null, onClick: () => editor(x, { reload }) }),
            button(t('tpl.copy'), { kind: 'link', small: true, onClick: () => editor({ ...x, name: `${x.name}-copy`, preset: false }, { isNew: true, reload }) }),
            button(t('common.delete'), { kind: 'link', small: true, testid: 'tpl-delete', disabledReason: x.preset ? presetReason : null, onClick: async () => {
              if (!await confirmDialog({ title: t('tpl.deleteTitle'), message: t('tpl.deleteConfirm', { name: x.name, id: x.definition }), confirmLabel: t('common.delete'), danger: true })) return;
              try { await del(`api/v1/templates/${encodeURIComponent(x.definition)}`); toast(t('tpl.deleted'), 'success'); reload(); } catch (err) { toastError(err); }
            } })))))))));
    } catch (err) { if (!disposed) clear(body, errorPanel(err, reload)); }
  }
  reload();
  return () => { disposed = true; };
}

function viewTemplate(x) {
  openDialog({ title: `${x.name} (#${x.definition})`, size: 'lg', content: h('div', {},
    kvList([[t('tpl.col.definition'), x.definition], [t('sub.col.type'), typeName(x.type)], [t('tpl.col.source'), x.preset ? t('tpl.preset') : t('tpl.customOne')], [t('tpl.comment'), x.comment]], { class: 'kv kv-grid' }),
    h('h3', {}, t('sub.params')),
    kvList(Object.entries(paramsOf(x)).map(([k, v]) => [t(`param.${k}`, {}, k), fmtValue(v)]), { class: 'kv kv-grid' })) });
}

/** Create (isNew) or edit a template. New ones start from a preset's parameters. */
async function editor(tpl, { isNew = false, reload }) {
  const typeSel = select(SUBTASK_TYPES.map((ty) => [ty, typeName(ty)]), tpl.type || 'Transcode', { 'data-testid': 'tpl-type', disabled: !isNew });
  const baseSel = h('select', { 'data-testid': 'tpl-base' });
  const name = h('input', { type: 'text', value: tpl.name || '', maxLength: 64, 'data-testid': 'tpl-name' });
  const comment = h('input', { type: 'text', value: tpl.comment || '', maxLength: 256, 'data-testid': 'tpl-comment' });
  const paramsBox = h('div', { class: 'param-grid', 'data-testid': 'tpl-params' });
  const error = h('div', { class: 'form-error', role: 'alert' });
  let readers = [];
  let bases = [];

  const fillParams = (values) => {
    readers = [];
    clear(paramsBox, Object.entries(values).map(([k, v]) => {
      const [control, read] = paramControl(k, v);
      readers.push([k, read]);
      const label = t(`param.${k}`, {}, k);
      return control.type === 'checkbox'
        ? h('div', { class: 'field check' }, control, h('label', { for: control.id }, label))
        : field(label, control, { wide: control.tagName === 'TEXTAREA' });
    }));
  };
  const fillBases = async () => {
    clear(baseSel, h('option', { value: '' }, t('common.loading')));
    bases = await loadTemplates(typeSel.value).catch(() => []);
    clear(baseSel, bases.map((b, i) => h('option', { value: String(i) }, `${b.name} (#${b.definition})`)));
    if (bases.length && isNew && !tpl.definition) fillParams(paramsOf(bases[0]));
  };
  typeSel.addEventListener('change', fillBases);
  baseSel.addEventListener('change', () => { const b = bases[Number(baseSel.value)]; if (b) fillParams(paramsOf(b)); });

  const save = button(t('common.save'), { kind: 'primary', testid: 'tpl-save', onClick: async () => {
    clear(error);
    if (!name.value.trim()) { error.textContent = t('tpl.needName'); name.focus(); return; }
    const body = { type: typeSel.value, name: name.value.trim(), comment: comment.value.trim() };
    try { for (const [k, read] of readers) body[k] = read(); } catch (err) { error.textContent = err.message; return; }
    save.disabled = true;
    try {
      if (isNew) await post('api/v1/templates', body); else await put(`api/v1/templates/${encodeURIComponent(tpl.definition)}`, body);
      toast(isNew ? t('tpl.created') : t('tpl.saved'), 'success');
      dlg.close();
      invalidate();
      reload?.();
    } catch (err) { error.textContent = describeError(err); save.disabled = false; }
  } });
  const dlg = openDialog({
    title: isNew ? t('tpl.newTitle') : t('tpl.editTitle', { name: tpl.name }), size: 'lg', testid: 'tpl-editor',
    content: h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); save.click(); } },
      h('div', { class: 'form-row' }, field(t('sub.col.type'), typeSel), isNew ? field(t('tpl.base'), baseSel, { hint: t('tpl.baseHint') }) : null),
      h('div', { class: 'form-row' }, field(t('tpl.col.name'), name, { required: true }), field(t('tpl.comment'), comment)),
      h('h3', {}, t('sub.params')), paramsBox, error),
    actions: (d) => [button(t('common.cancel'), { onClick: () => d.close() }), save],
  });
  if (isNew && !tpl.definition) await fillBases();
  else { fillParams(paramsOf(tpl)); if (isNew) fillBases(); }
}

/** A control for one parameter and a function reading it back (throws on bad input). */
function paramControl(key, value) {
  const id = uid('p');
  const label = t(`param.${key}`, {}, key);
  if (typeof value === 'boolean') {
    const c = h('input', { type: 'checkbox', id, checked: value, 'data-param': key });
    return [c, () => c.checked];
  }
  if (typeof value === 'number') {
    const c = h('input', { type: 'number', id, value: String(value), step: 'any', 'data-param': key });
    return [c, () => {
      const n = Number(c.value);
      if (c.value.trim() === '' || Number.isNaN(n)) throw new Error(t('tpl.badNumber', { name: label }));
      return n;
    }];
  }
  if (typeof value === 'string' && CHOICES[key]) {
    const opts = CHOICES[key].includes(value) ? CHOICES[key] : [value, ...CHOICES[key]];
    const c = select(opts.map((o) => [o, t(`choice.${o}`, {}, o)]), value, { id, 'data-param': key });
    return [c, () => c.value];
  }
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) {
    const c = h('input', { type: 'text', id, value: value.join(', '), 'data-param': key, placeholder: t('tpl.listHint') });
    const numeric = value.length > 0 && value.every((v) => typeof v === 'number');
    return [c, () => c.value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (numeric ? Number(s) : s))];
  }
  if (value !== null && typeof value === 'object') {
    const c = h('textarea', { id, rows: 6, class: 'code-input', spellcheck: false, 'data-param': key }, JSON.stringify(value, null, 2));
    return [c, () => { try { return JSON.parse(c.value); } catch { throw new Error(t('tpl.badJson', { name: label })); } }];
  }
  const c = h('input', { type: 'text', id, value: value ?? '', 'data-param': key });
  return [c, () => c.value];
}
