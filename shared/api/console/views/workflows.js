// Workflows (upload trigger rules): list, create, edit, enable/disable, delete, and the dry run
// "which rule fires for this key".
import { t } from '../i18n.js';
import { get, post, put, del, describeError } from '../api.js';
import { h, clear, button, field, openDialog, confirmDialog, toast, toastError, errorPanel, loading, fmtTime } from '../ui.js';
import { config } from '../router.js';
import { typeName } from './common.js';
import { specList } from './specs.js';
import { notifyFields } from './notifications.js';

export function render(main) {
  let disposed = false;
  const body = h('div', {}, loading());
  const dryRun = h('section', { class: 'card', 'aria-labelledby': 'dry-title' });
  clear(main,
    h('div', { class: 'page-head' }, h('h1', {}, t('wf.title'))),
    h('p', { class: 'muted' }, t('wf.help')),
    h('div', { class: 'toolbar' }, h('div', { class: 'toolbar-left' },
      button(t('wf.new'), { kind: 'primary', testid: 'wf-new', onClick: () => editor(null, reload) }))),
    body, dryRun);

  config().then((cfg) => { if (!disposed) buildDryRun(dryRun, cfg); }).catch(() => {});

  async function reload() {
    try {
      const data = await get('api/v1/workflows');
      if (disposed) return;
      const list = data.workflows || [];
      if (!list.length) { clear(body, h('p', { class: 'empty' }, t('wf.empty'))); return; }
      clear(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-testid': 'wf-table' },
        h('caption', { class: 'sr-only' }, t('wf.title')),
        h('thead', {}, h('tr', {}, [t('wf.col.name'), t('wf.col.trigger'), t('wf.col.subtasks'), t('wf.col.output'), t('wf.col.state'), t('wf.col.created'), t('wf.col.ops')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, list.map((w) => h('tr', { 'data-testid': 'wf-row', 'data-workflow-id': w.workflow_id },
          h('td', { 'data-label': t('wf.col.name') }, h('div', {}, w.name), h('div', { class: 'muted small' }, h('code', {}, w.workflow_id))),
          h('td', { 'data-label': t('wf.col.trigger'), class: 'small' }, h('div', { class: 'break' }, `${w.bucket}/${w.prefix || ''}*`),
            h('div', { class: 'muted' }, (w.suffixes || []).length ? (w.suffixes || []).map((s) => `.${s}`).join(' ') : t('wf.anySuffix'))),
          h('td', { 'data-label': t('wf.col.subtasks'), class: 'small' }, h('ul', { class: 'plain' }, (w.subtasks || []).map((s) => h('li', {}, `${typeName(s.type)} #${s.definition}${s.kind ? ` (${t(`snapshotKind.${s.kind}`, {}, s.kind)})` : ''}`)))),
          h('td', { 'data-label': t('wf.col.output'), class: 'small break' }, `${w.output?.bucket || ''}/${w.output?.dir || ''}`),
          h('td', { 'data-label': t('wf.col.state') }, h('span', { class: `badge ${w.enabled ? 'badge-success' : 'badge-waiting'}`, 'data-testid': 'wf-state' }, w.enabled ? t('wf.enabled') : t('wf.disabled'))),
          h('td', { 'data-label': t('wf.col.created') }, fmtTime(w.create_time)),
          h('td', { class: 'cell-ops' }, h('div', { class: 'ops' },
            button(t('tpl.edit'), { kind: 'link', small: true, testid: 'wf-edit', onClick: () => editor(w, reload) }),
            button(w.enabled ? t('wf.disable') : t('wf.enable'), { kind: 'link', small: true, testid: 'wf-toggle', onClick: async () => {
              if (w.enabled && !await confirmDialog({ title: t('wf.disableTitle'), message: t('wf.disableConfirm', { name: w.name }), confirmLabel: t('wf.disable') })) return;
              try { await post(`api/v1/workflows/${encodeURIComponent(w.workflow_id)}/${w.enabled ? 'disable' : 'enable'}`); toast(w.enabled ? t('wf.disabledDone') : t('wf.enabledDone'), 'success'); reload(); } catch (err) { toastError(err); }
            } }),
            button(t('common.delete'), { kind: 'link', small: true, testid: 'wf-delete', onClick: async () => {
              if (!await confirmDialog({ title: t('wf.deleteTitle'), message: t('wf.deleteConfirm', { name: w.name }), confirmLabel: t('common.delete'), danger: true })) return;
              try { await del(`api/v1/workflows/${encodeURIComponent(w.workflow_id)}`); toast(t('wf.deleted'), 'success'); reload(); } catch (err) { toastError(err); }
            } })))))))));
    } catch (err) { if (!disposed) clear(body, errorPanel(err, reload)); }
  }
  reload();
  return () => { disposed = true; };
}

function buildDryRun(section, cfg) {
  const bucket = h('input', { type: 'text', value: cfg.input_bucket, spellcheck: false, 'data-testid': 'dry-bucket' });
  const key = h('input', { type: 'text', value: `${cfg.upload_prefix || 'input/'}example/clip.mp4`, spellcheck: false, 'data-testid': 'dry-key' });
  const result = h('div', { class: 'dry-result', 'aria-live': 'polite', 'data-testid': 'dry-result' });
  const run = async () => {
    clear(result, loading());
    try {
      const data = await post('api/v1/workflows/match', { bucket: bucket.value.trim(), key: key.value.trim() });
      const matches = data.matches || [];
      if (!matches.length) { clear(result, h('p', { class: 'muted', 'data-testid': 'dry-none' }, t('wf.dryNone'))); return; }
      clear(result, h('ul', { class: 'matches' }, matches.map((m) => h('li', { 'data-testid': 'dry-match' },
        h('strong', {}, m.name), ' ', h('code', { class: 'muted' }, m.workflow_id),
        h('div', { class: 'small muted' }, t('wf.dryOutputBucket', { bucket: m.output_bucket || '' })),
        h('ul', { class: 'plain small' }, (m.outputs || []).map((o) => h('li', {},
          `${o.index}. ${typeName(o.type)} #${o.definition}: `,
          (o.keys || []).length ? h('code', { class: 'break' }, o.keys.slice(0, 3).join(', ') + (o.keys.length > 3 ? ', …' : '')) : h('span', { class: 'muted' }, t('sub.noOutput')))))))));
    } catch (err) { clear(result, errorPanel(err)); }
  };
  clear(section,
    h('h2', { id: 'dry-title' }, t('wf.dryTitle')),
    h('p', { class: 'muted small' }, t('wf.dryHelp')),
    h('form', { class: 'form-row', onsubmit: (e) => { e.preventDefault(); run(); } },
      field(t('create.bucket'), bucket), field(t('wf.dryKey'), key),
      h('div', { class: 'field field-button' }, button(t('wf.dryRun'), { type: 'submit', testid: 'dry-run' }))),
    result);
}

async function editor(w, reload) {
  const cfg = await config();
  const isNew = !w;
  const v = w || { name: '', bucket: cfg.input_bucket, prefix: cfg.upload_prefix || 'input/', suffixes: ['mp4', 'mov', 'mkv'], subtasks: [{ type: 'Transcode', definition: 100030 }], output: { bucket: cfg.output_bucket, dir: 'output/{task_id}/' }, enabled: true };
  const name = h('input', { type: 'text', value: v.name, maxLength: 64, 'data-testid': 'wf-name' });
  const bucket = h('input', { type: 'text', value: v.bucket, spellcheck: false, 'data-testid': 'wf-bucket' });
  const prefix = h('input', { type: 'text', value: v.prefix || '', spellcheck: false, 'data-testid': 'wf-prefix' });
  const suffixes = h('input', { type: 'text', value: (v.suffixes || []).join(', '), spellcheck: false, 'data-testid': 'wf-suffixes' });
  const outBucket = h('input', { type: 'text', value: v.output?.bucket || cfg.output_bucket, spellcheck: false, 'data-testid': 'wf-out-bucket' });
  const outDir = h('input', { type: 'text', value: v.output?.dir || 'output/{task_id}/', spellcheck: false, 'data-testid': 'wf-out-dir' });
  const enabled = h('input', { type: 'checkbox', id: 'wf-enabled', checked: v.enabled !== false, 'data-testid': 'wf-enabled' });
  const specs = specList(v.subtasks || []);
  const notify = notifyFields(v.notify, 'wf');
  const error = h('div', { class: 'form-error', role: 'alert' });
  const save = button(t('common.save'), { kind: 'primary', testid: 'wf-save', onClick: async () => {
    clear(error);
    if (!name.value.trim()) { error.textContent = t('tpl.needName'); name.focus(); return; }
    const subtasks = specs.values();
    if (!subtasks.length) { error.textContent = t('create.needSubtask'); return; }
    const body = {
      name: name.value.trim(), bucket: bucket.value.trim(), prefix: prefix.value.trim(),
      suffixes: suffixes.value.split(/[\s,]+/).map((s) => s.replace(/^\./, '').trim()).filter(Boolean),
      subtasks, output: { bucket: outBucket.value.trim(), dir: outDir.value.trim() }, enabled: enabled.checked,
      notify: notify.value(),
    };
    save.disabled = true;
    try {
      if (isNew) await post('api/v1/workflows', body); else await put(`api/v1/workflows/${encodeURIComponent(w.workflow_id)}`, body);
      toast(isNew ? t('wf.created') : t('wf.saved'), 'success');
      dlg.close();
      reload();
    } catch (err) { error.textContent = describeError(err); save.disabled = false; }
  } });
  const dlg = openDialog({
    title: isNew ? t('wf.newTitle') : t('wf.editTitle', { name: w.name }), size: 'lg', testid: 'wf-editor',
    content: h('form', { class: 'form', onsubmit: (e) => { e.preventDefault(); save.click(); } },
      field(t('wf.col.name'), name, { required: true }),
      h('fieldset', {}, h('legend', {}, t('wf.trigger')),
        h('div', { class: 'form-row' }, field(t('create.bucket'), bucket, { required: true }), field(t('create.prefix'), prefix),
          field(t('wf.suffixes'), suffixes, { hint: t('wf.suffixesHint') }))),
      h('fieldset', {}, h('legend', {}, t('wf.processing')), specs.el),
      h('fieldset', {}, h('legend', {}, t('wf.output')),
        h('div', { class: 'form-row' }, field(t('create.outputBucket'), outBucket, { required: true }), field(t('create.outputDir'), outDir, { hint: t('create.outputDirHint') }))),
      notify.el,
      h('div', { class: 'check' }, enabled, h('label', { for: 'wf-enabled' }, t('wf.enabled'))),
      error),
    actions: (d) => [button(t('common.cancel'), { onClick: () => d.close() }), save],
  });
}
