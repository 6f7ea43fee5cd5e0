// Create task: pick an input object (browse the bucket or upload), the output location, and a
// template per subtask; submit and land on the new task.
import { t } from '../i18n.js';
import { get, post, uploadTo, describeError } from '../api.js';
import { h, clear, button, field, uid, loading, errorPanel, progressBar, fmtSize, fmtTime, toast } from '../ui.js';
import { navigate, config } from '../router.js';
import { specList } from './specs.js';
import { notifyFields } from './notifications.js';

export function render(main, params) {
  const state = { input: params.key ? { bucket: params.bucket, key: params.key } : null, disposed: false, upload: null };
  clear(main, h('div', { class: 'page-head' }, h('h1', {}, t('create.title'))), loading());
  config().then((cfg) => { if (!state.disposed) build(main, cfg, state, params); })
    .catch((err) => clear(main, errorPanel(err, () => render(main, params))));
  return () => { state.disposed = true; state.upload?.abort(); };
}

function build(main, cfg, state, params) {
  const selected = h('div', { class: 'selected-input', 'data-testid': 'selected-input', 'aria-live': 'polite' });
  const showSelected = () => clear(selected, state.input
    ? [h('span', { class: 'muted' }, `${t('create.selected')}: `), h('code', { class: 'break' }, `${state.input.bucket}/${state.input.key}`)]
    : h('span', { class: 'muted' }, t('create.noneSelected')));
  showSelected();
  const choose = (bucket, key) => { state.input = { bucket, key }; showSelected(); };

  // ---- input: browse --------------------------------------------------------------------------
  const bucketInput = h('input', { type: 'text', value: params.bucket || cfg.input_bucket, 'data-testid': 'browse-bucket', spellcheck: false });
  const prefixInput = h('input', { type: 'text', value: cfg.upload_prefix || 'input/', 'data-testid': 'browse-prefix', spellcheck: false });
  const objects = h('div', { class: 'objects', 'data-testid': 'object-list' });
  async function browse() {
    clear(objects, loading());
    try {
      const data = await get('api/v1/objects', { bucket: bucketInput.value.trim(), prefix: prefixInput.value, limit: 100 });
      const list = data.objects || [];
      if (!list.length) { clear(objects, h('p', { class: 'muted' }, t('create.noObjects'))); return; }
      const name = uid('obj');
      clear(objects, h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
        h('caption', { class: 'sr-only' }, t('create.objects')),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('create.select'))), h('th', { scope: 'col' }, t('create.key')), h('th', { scope: 'col' }, t('out.size')), h('th', { scope: 'col' }, t('create.modified')))),
        h('tbody', {}, list.map((o) => {
          const id = uid('o');
          const radio = h('input', { type: 'radio', name, id, value: o.key, checked: state.input?.key === o.key, 'data-testid': 'object-radio',
            onchange: () => choose(bucketInput.value.trim(), o.key) });
          return h('tr', { class: 'clickable', onclick: (e) => { if (e.target !== radio) { radio.checked = true; choose(bucketInput.value.trim(), o.key); } } },
            h('td', {}, radio), h('td', {}, h('label', { for: id, class: 'break' }, o.key)), h('td', {}, fmtSize(o.size)), h('td', {}, fmtTime(o.last_modified)));
        })))));
    } catch (err) { clear(objects, errorPanel(err, browse)); }
  }
  const browsePanel = h('div', { class: 'source-panel', id: 'src-browse' },
    h('div', { class: 'form-row' },
      field(t('create.bucket'), bucketInput),
      field(t('create.prefix'), prefixInput),
      h('div', { class: 'field field-button' }, button(t('create.browse'), { testid: 'browse', onClick: browse }))),
    objects);

  // ---- input: upload --------------------------------------------------------------------------
  const fileInput = h('input', { type: 'file', 'data-testid': 'create-upload-file' });
  const upPrefix = h('input', { type: 'text', value: 'uploads/', spellcheck: false, 'data-testid': 'create-upload-prefix' });
  const upProgress = h('div', { class: 'upload-progress' });
  const upStatus = h('div', { 'aria-live': 'polite', 'data-testid': 'create-upload-status' });
  const upBtn = button(t('upload.start'), { testid: 'create-upload-start', onClick: doUpload });
  fileInput.addEventListener('change', () => { if (fileInput.files[0]) doUpload(); }); // start at once
  async function doUpload() {
    const file = fileInput.files[0];
    if (!file) { clear(upStatus, h('span', { class: 'form-error' }, t('upload.pickFile'))); return; }
    let prefix = upPrefix.value.trim().replace(/^\/+/, '');
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    const key = `${prefix}${Math.random().toString(16).slice(2, 10)}/${file.name}`;
    upBtn.disabled = true;
    try {
      const ticket = await post('api/v1/uploads', { filename: file.name, key });
      state.upload = uploadTo(ticket.upload_url, ticket.method, file, (l, n) => clear(upProgress, progressBar(Math.floor((l / n) * 100), t('upload.progress'))));
      await state.upload.promise;
      state.upload = null;
      choose(ticket.bucket, ticket.key);
      clear(upStatus, h('span', { class: 'ok' }, t('create.uploaded', { key: ticket.key })));
    } catch (err) {
      clear(upStatus, h('span', { class: 'form-error', role: 'alert' }, describeError(err)));
    } finally { upBtn.disabled = false; }
  }
  const uploadPanel = h('div', { class: 'source-panel', id: 'src-upload', hidden: true },
    h('div', { class: 'form-row' },
      field(t('upload.file'), fileInput),
      field(t('create.uploadPrefix'), upPrefix, { hint: t('create.uploadPrefixHint', { prefix: cfg.upload_prefix || 'input/' }) }),
      h('div', { class: 'field field-button' }, upBtn)),
    upProgress, upStatus);

  const sourceName = uid('src');
  const sourceRadio = (value, label, panel, checked) => {
    const id = uid('r');
    const r = h('input', { type: 'radio', name: sourceName, id, value, checked, 'data-testid': `source-${value}`,
      onchange: () => { browsePanel.hidden = value !== 'browse'; uploadPanel.hidden = value !== 'upload'; } });
    return h('span', { class: 'radio' }, r, h('label', { for: id }, label));
  };
  const inputSection = h('section', { class: 'card', 'aria-labelledby': 'sec-input' },
    h('h2', { id: 'sec-input' }, t('create.input')),
    h('fieldset', { class: 'radios' }, h('legend', { class: 'sr-only' }, t('create.source')),
      sourceRadio('browse', t('create.fromBucket'), browsePanel, true), sourceRadio('upload', t('create.fromUpload'), uploadPanel, false)),
    browsePanel, uploadPanel, selected);

  // ---- output ---------------------------------------------------------------------------------
  const outBucket = h('input', { type: 'text', value: cfg.output_bucket, 'data-testid': 'output-bucket', spellcheck: false });
  const outDir = h('input', { type: 'text', value: 'output/{task_id}/', 'data-testid': 'output-dir', spellcheck: false });
  const outputSection = h('section', { class: 'card', 'aria-labelledby': 'sec-output' },
    h('h2', { id: 'sec-output' }, t('create.output')),
    h('div', { class: 'form-row' },
      field(t('create.outputBucket'), outBucket, { required: true }),
      field(t('create.outputDir'), outDir, { hint: t('create.outputDirHint') })));

  // ---- subtasks -------------------------------------------------------------------------------
  const specs = specList([{ type: 'Transcode', definition: 100030 }, { type: 'Snapshot', definition: 10, kind: 'sampled' }]);
  const specSection = h('section', { class: 'card', 'aria-labelledby': 'sec-specs' },
    h('h2', { id: 'sec-specs' }, t('create.subtasks')),
    h('p', { class: 'muted small' }, t('create.subtasksHelp')),
    specs.el);

  // ---- notifications -------------------------------------------------------------------------
  const notify = notifyFields(null, 'create');
  const notifySection = h('section', { class: 'card' }, notify.el);

  // ---- submit ---------------------------------------------------------------------------------
  const formError = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'create-error' });
  const submit = button(t('create.submit'), { kind: 'primary', type: 'submit', testid: 'create-submit' });
  const form = h('form', { class: 'create-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clear(formError);
    if (!state.input) { formError.textContent = t('create.needInput'); return; }
    const subtasks = specs.values();
    if (!subtasks.length) { formError.textContent = t('create.needSubtask'); return; }
    if (!outBucket.value.trim()) { formError.textContent = t('create.needOutput'); outBucket.focus(); return; }
    submit.disabled = true;
    try {
      const task = await post('api/v1/tasks', {
        input: state.input, output: { bucket: outBucket.value.trim(), dir: outDir.value.trim() }, subtasks, origin: 'console',
        ...(notify.value() ? { notify: notify.value() } : {}),
      });
      toast(t('create.created', { id: task.task_id }), 'success');
      navigate('tasks', { expand: task.task_id });
    } catch (err) {
      formError.textContent = describeError(err);
      submit.disabled = false;
    }
  } }, inputSection, outputSection, specSection, notifySection,
  h('div', { class: 'form-actions' }, formError, button(t('common.cancel'), { onClick: () => navigate('tasks') }), submit));
  clear(main, h('div', { class: 'page-head' }, h('h1', {}, t('create.title'))), h('p', { class: 'muted' }, t('create.help')), form);
  if (params.key) browse();
}
