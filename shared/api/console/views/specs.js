// An editable list of subtask specs (type + template), used by Create task and the workflow editor.
import { t } from '../i18n.js';
import { describeError } from '../api.js';
import { h, clear, button, field } from '../ui.js';
import { SUBTASK_TYPES, HAS_FILES, typeName, templateSummary } from './common.js';
import { loadTemplates } from './templates.js';

export function tplValue(x) { return x.type === 'Snapshot' && x.kind ? `${x.definition}|${x.kind}` : String(x.definition); }
const specValue = (s) => (s.type === 'Snapshot' ? `${s.definition}|${s.kind || 'sampled'}` : String(s.definition));

/** {el, values()}: values() is [{type, definition, kind?, output_object_path?}] for every row with a template. */
export function specList(initial = []) {
  const rows = [];
  const list = h('div', { class: 'subtask-specs', 'data-testid': 'subtask-specs' });
  const renumber = () => rows.forEach((r, i) => { r.label.textContent = t('create.subtaskType', { n: i + 1 }); });

  function addRow(spec = { type: 'Transcode' }) {
    let want = spec.definition !== undefined ? specValue(spec) : null;
    const typeSel = h('select', { 'data-testid': 'spec-type' });
    SUBTASK_TYPES.forEach((ty) => typeSel.append(h('option', { value: ty, selected: ty === spec.type }, typeName(ty))));
    const tplSel = h('select', { 'data-testid': 'spec-template' });
    const summary = h('div', { class: 'muted small spec-summary', 'data-testid': 'spec-summary' });
    let templates = [];
    const current = () => templates.find((x) => tplValue(x) === tplSel.value);
    const showSummary = () => {
      const tpl = current();
      summary.textContent = tpl ? `${templateSummary(tpl)}${tpl.comment ? ` — ${tpl.comment}` : ''}` : '';
    };
    const fill = async () => {
      clear(tplSel, h('option', { value: '' }, t('common.loading')));
      clear(summary);
      try {
        templates = await loadTemplates(typeSel.value);
      } catch (err) { templates = []; clear(summary, h('span', { class: 'form-error' }, describeError(err))); }
      const groups = [[t('tpl.presets'), templates.filter((x) => x.preset)], [t('tpl.custom'), templates.filter((x) => !x.preset)]];
      clear(tplSel, groups.filter(([, l]) => l.length).map(([label, l]) => h('optgroup', { label },
        l.map((x) => h('option', { value: tplValue(x) }, `${x.name} (#${x.definition})`)))));
      if (!templates.length) tplSel.append(h('option', { value: '' }, t('create.noTemplates')));
      if (want && templates.some((x) => tplValue(x) === want)) tplSel.value = want;
      want = null;
      showSummary();
    };
    // MPS's OutputObjectPath, for the kinds that write files; empty means the default name.
    const pathInput = h('input', { type: 'text', value: spec.output_object_path || '', spellcheck: false, autocomplete: 'off',
      placeholder: '{inputName}_{definition}.{format}', 'data-testid': 'spec-output-path' });
    const pathField = field(t('create.outputPath'), pathInput, { hint: t('create.outputPathHint') });
    const showPath = () => { pathField.hidden = !HAS_FILES.has(typeSel.value); };
    showPath();
    typeSel.addEventListener('change', showPath);
    typeSel.addEventListener('change', fill);
    tplSel.addEventListener('change', showSummary);
    const typeField = field(t('create.subtaskType', { n: rows.length + 1 }), typeSel);
    const row = {
      label: typeField.querySelector('label'),
      value() {
        const tpl = current();
        if (!tpl) return null;
        const out = { type: typeSel.value, definition: tpl.definition };
        if (typeSel.value === 'Snapshot' && tpl.kind) out.kind = tpl.kind;
        const path = pathInput.value.trim();
        if (path && HAS_FILES.has(typeSel.value)) out.output_object_path = path;
        return out;
      },
    };
    row.el = h('div', { class: 'spec-row', 'data-testid': 'spec-row' }, typeField, field(t('create.template'), tplSel), pathField, summary,
      button(t('common.remove'), { kind: 'link', small: true, testid: 'spec-remove', onClick: () => {
        rows.splice(rows.indexOf(row), 1); row.el.remove(); renumber();
      } }));
    rows.push(row);
    list.append(row.el);
    fill();
    return row;
  }
  initial.forEach(addRow);
  const el = h('div', {}, list, button(t('create.addSubtask'), { testid: 'add-subtask', onClick: () => addRow().el.querySelector('select').focus() }));
  return { el, values: () => rows.map((r) => r.value()).filter(Boolean), count: () => rows.length };
}
