// The expanded row of a task: task facts, the subtask table and its operations
// (details, play/view, download).
import { t, serverText } from '../i18n.js';
import { get } from '../api.js';
import { h, clear, button, openDialog, toast, toastError, errorPanel, loading, fmtTime, fmtSize, fmtSeconds, fmtValue, kvList, progressBar, startDownload } from '../ui.js';
import { subtaskStatusBadge, taskStatusBadge, typeName, templateLabel, HAS_FILES } from './common.js';
import { playerDialog } from './player.js';
import { historyTable } from './history.js';
import { paramRows, readable, containerName } from './params_view.js';
import { notificationsSection } from './notifications.js';
import { galleryDialog, reviewDialog, analysisDialog, resultDialog, enhancementSummary } from './results.js';
import { spriteDialog, spriteCounts } from './sprite.js';

const enc = encodeURIComponent;

export class TaskDetail {
  constructor(taskId, { onChanged } = {}) {
    this.taskId = taskId;
    this.onChanged = onChanged;
    this.task = null;
    this.disposed = false;
    this.el = h('div', { class: 'task-detail', 'data-testid': 'task-detail', 'aria-live': 'off' }, loading());
  }

  active() { return !this.task || this.task.status !== 'FINISH'; }

  stale(listTask) {
    if (!this.task) return true;
    return ['status', 'attempt', 'finish_time'].some((k) => this.task[k] !== listTask[k])
      || JSON.stringify(this.task.subtask_counts) !== JSON.stringify(listTask.subtask_counts);
  }

  dispose() { this.disposed = true; }

  async refresh() {
    try {
      const task = await get(`api/v1/tasks/${enc(this.taskId)}`);
      if (this.disposed) return;
      if (this.task && JSON.stringify(task) === JSON.stringify(this.task)) return;
      this.task = task;
      this.render();
    } catch (err) {
      if (!this.disposed) clear(this.el, errorPanel(err, () => this.refresh()));
    }
  }

  render() {
    const task = this.task;
    const active = document.activeElement;
    const focus = active && this.el.contains(active) ? { index: active.closest('tr')?.dataset.index, op: active.dataset.op } : null;
    const subs = task.subtasks || [];
    const facts = kvList([
      [t('detail.input'), `${task.input?.bucket}/${task.input?.key}`],
      [t('detail.output'), `${task.output?.bucket}/${task.output?.dir || ''}`],
      [t('detail.origin'), t(`origin.${task.origin}`, {}, task.origin || '—')],
      [t('detail.workflow'), task.workflow_id || '—'],
      [t('detail.attempt'), (Number(task.attempt) || 0) + 1], // attempt 0 is the first run
      [t('detail.status'), taskStatusBadge(task.status)],
      [t('detail.begin'), fmtTime(task.begin_process_time)],
      task.err_code ? [t('detail.error'), `${serverText(task.message_code || task.err_code, task.message, task.message_params)} (${task.err_code})`] : null,
    ], { class: 'kv kv-grid' });
    const tbody = h('tbody', {}, subs.map((s) => this.subtaskRow(s)));
    const table = h('table', { class: 'table subtask-table', 'data-testid': 'subtask-table' },
      h('caption', { class: 'sr-only' }, t('sub.caption', { id: task.task_id })),
      h('thead', {}, h('tr', {},
        [t('sub.col.index'), t('sub.col.status'), t('sub.col.type'), t('sub.col.start'), t('sub.col.end'), t('sub.col.output'), t('sub.col.ops')]
          .map((label, i) => h('th', { scope: 'col', class: i === 6 ? 'col-ops' : '' }, label)))),
      tbody);
    const history = Array.isArray(task.history) && task.history.length ? h('details', { class: 'history' },
      h('summary', {}, t('detail.history', { n: task.history.length })),
      historyTable(task.history)) : null;
    clear(this.el, facts,
      subs.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'muted' }, t('sub.none')),
      history,
      task.notify ? (this.notifications ||= notificationsSection(task.task_id)) : null);
    if (focus?.op) this.el.querySelector(`tr[data-index="${focus.index}"] [data-op="${focus.op}"]`)?.focus();
  }

  subtaskRow(s) {
    const ok = s.status === 'SUCCESS';
    const hasFiles = HAS_FILES.has(s.type);
    const op = (label, name, opts) => { const b = button(label, { kind: 'link', small: true, testid: `sub-op-${name}`, ...opts }); b.dataset.op = name; return b; };
    const viewLabel = s.type === 'Transcode' || s.type === 'Enhancement' ? t('sub.op.play') : t('sub.op.view');
    const notDone = s.status === 'FAIL' ? t('sub.op.failedReason') : t('sub.op.notDoneReason');
    const statusCell = [subtaskStatusBadge(s.status)];
    if (s.status === 'PROCESSING') statusCell.push(progressBar(s.progress, t('sub.progressLabel', { index: s.index })));
    if (s.status === 'FAIL' && (s.err_code || s.message)) {
      statusCell.push(h('div', { class: 'err small', title: s.err_code || '', 'data-testid': 'subtask-error-line' },
        serverText(s.message_code || s.err_code, s.message, s.message_params)));
    }
    return h('tr', { 'data-testid': 'subtask-row', 'data-index': String(s.index), 'data-type': s.type, 'data-status': s.status },
      h('td', { 'data-label': t('sub.col.index') }, String(s.index)),
      h('td', { 'data-label': t('sub.col.status') }, statusCell),
      h('td', { 'data-label': t('sub.col.type') }, h('div', {}, typeName(s.type)), h('div', { class: 'muted small' }, templateLabel(s.template))),
      h('td', { class: 'nowrap', 'data-label': t('sub.col.start') }, fmtTime(s.begin_time)),
      h('td', { class: 'nowrap', 'data-label': t('sub.col.end') }, fmtTime(s.finish_time)),
      h('td', { 'data-label': t('sub.col.output'), class: 'cell-output' }, outputLocation(this.task, s)),
      h('td', { class: 'cell-ops', 'data-label': t('sub.col.ops') }, h('div', { class: 'ops' },
        op(t('sub.op.details'), 'details', { onClick: () => subtaskDetails(this.task, s) }),
        op(viewLabel, 'view', { disabledReason: ok ? null : notDone, onClick: () => viewSubtask(this.task, s) }),
        op(t('sub.op.download'), 'download', {
          disabledReason: !hasFiles ? t('sub.op.noFiles') : ok ? null : notDone,
          onClick: () => downloadSubtask(this.task, s),
        }))));
  }
}

function outputLocation(task, s) {
  if (!HAS_FILES.has(s.type)) return h('span', { class: 'muted', title: t('sub.noOutputTitle') }, t('sub.noOutput'));
  const outs = s.outputs || [];
  // Only a subtask that may still run "will write"; a failed or cancelled one wrote nothing.
  if (!outs.length && s.status === 'FAIL') return h('span', { class: 'muted', 'data-testid': 'no-files-written' }, t('sub.nothingWritten'));
  if (!outs.length) return h('span', { class: 'muted' }, s.status === 'SUCCESS' ? '—' : t('sub.outputPending', { dir: `${task.output?.bucket}/${task.output?.dir || ''}` }));
  const first = outs[0];
  const dir = first.key.includes('/') ? first.key.slice(0, first.key.lastIndexOf('/') + 1) : '';
  const text = outs.length === 1 ? `${first.bucket}/${first.key}` : `${first.bucket}/${dir}`;
  return h('div', {}, h('span', { class: 'break small', title: text }, text),
    outs.length > 1 ? h('div', { class: 'muted small', 'data-testid': 'output-count' }, filesLine(outs)) : null);
}

// A sprite's row names its sheets and track, in the same words as its viewer.
function filesLine(outs) {
  const c = spriteCounts(outs);
  return c.tracks ? t('sub.spriteFiles', { n: c.files, sheets: c.sheetsText }) : t('sub.files', { n: c.files });
}

async function subtaskDetails(task, s) {
  const dlg = openDialog({ title: t('sub.detailsTitle', { index: s.index, type: typeName(s.type) }), size: 'lg', testid: 'subtask-details', content: loading() });
  try {
    const d = await get(`api/v1/tasks/${enc(task.task_id)}/subtasks/${s.index}`);
    const sections = [
      h('h3', {}, t('sub.overview')),
      kvList([
        [t('sub.col.type'), typeName(d.type)], [t('sub.col.status'), subtaskStatusBadge(d.status)],
        [t('sub.template'), templateLabel(d.template)], [t('detail.attempt'), (Number(d.attempt) || 0) + 1],
        [t('sub.col.start'), fmtTime(d.begin_time)], [t('sub.col.end'), fmtTime(d.finish_time)],
        [t('common.progress'), `${d.progress ?? 0}%`],
      ], { class: 'kv kv-grid' }),
    ];
    if (d.err_code || d.message) {
      sections.push(h('h3', {}, t('sub.error')), h('div', { class: 'error-box', 'data-testid': 'subtask-error' },
        h('strong', {}, d.err_code || ''), h('p', {}, serverText(d.message_code || d.err_code, d.message, d.message_params))));
    }
    const params = d.params || d.template?.params;
    if (params && Object.keys(params).length) {
      sections.push(h('h3', {}, t('sub.params')), kvList(paramRows(params), { class: 'kv kv-grid', 'data-testid': 'subtask-params' }));
    }
    if ((d.outputs || []).length) {
      sections.push(h('h3', {}, t('sub.outputs', { n: d.outputs.length })), outputsTable(d.outputs));
    }
    // Evidence frames, covers and the full result JSON belong to the result, not to the outputs.
    const { result_files: resultFiles, ...summary } = d.result || {};
    if ((resultFiles || []).length) {
      sections.push(h('h3', {}, t('sub.resultFiles', { n: resultFiles.length })), outputsTable(resultFiles, 'result-files-table'));
    }
    if (d.result) {
      sections.push(h('h3', {}, t('sub.result')), h('div', { 'data-testid': 'subtask-result' }, readable(summary)));
    }
    sections.push(h('h3', {}, t('sub.log')), d.log_tail ? h('pre', { class: 'code-block log', 'data-testid': 'subtask-log', tabindex: '0' }, d.log_tail) : h('p', { class: 'muted' }, t('sub.noLog')));
    dlg.setContent(h('div', { class: 'details' }, sections));
    const log = dlg.body.querySelector('.log');
    if (log) log.scrollTop = log.scrollHeight; // a tail: show its end
  } catch (err) {
    dlg.setContent(errorPanel(err));
  }
}

function outputsTable(outputs, testid = 'outputs-table') {
  const cols = [
    ['key', t('out.key')], ['size', t('out.size')], ['duration', t('out.duration')], ['resolution', t('out.resolution')],
    ['bitrate', t('out.bitrate')], ['codecs', t('out.codecs')], ['container', t('out.container')], ['md5', 'MD5'],
  ];
  const cell = (o, k) => {
    switch (k) {
      case 'size': return fmtSize(o.size);
      case 'duration': return o.duration ? fmtSeconds(o.duration) : '—';
      case 'resolution': return o.width ? `${o.width}×${o.height}` : '—';
      case 'bitrate': return o.bitrate ? `${Math.round(o.bitrate / 1000)} kbps` : '—';
      case 'codecs': return [o.video_codec, o.audio_codec].filter(Boolean).join(' / ') || '—';
      case 'container': return o.container || o.format ? h('span', { title: o.container || o.format }, containerName(o)) : '—';
      default: return fmtValue(o[k]);
    }
  };
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table compact', 'data-testid': testid },
    h('thead', {}, h('tr', {}, cols.map(([, label]) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, outputs.map((o) => h('tr', {}, cols.map(([k]) => h('td', { class: k === 'key' || k === 'md5' ? 'break small' : '' }, cell(o, k))))))));
}

async function viewSubtask(task, s) {
  try {
    const view = await get(`api/v1/tasks/${enc(task.task_id)}/subtasks/${s.index}/view`);
    const items = view.items || [];
    const title = `${typeName(s.type)} · ${t('sub.col.index')} ${s.index}`;
    if (view.kind === 'video' && items.length) playerDialog({ title, items, testid: 'output-player', extra: view.result ? enhancementSummary(view.result) : null });
    else if (view.kind === 'images' && items.length && view.thumbnails) spriteDialog({ title, items, thumbnails: view.thumbnails });
    else if (view.kind === 'images' && items.length) galleryDialog({ title, items });
    else if (s.type === 'ContentReview') reviewDialog({ title, result: view.result || {}, items });
    else if (s.type === 'ContentAnalysis') analysisDialog({ title, result: view.result || {}, items });
    else if (view.result || items.length) resultDialog({ title, result: view.result, items });
    else toast(t('sub.nothingToView'), 'info');
  } catch (err) { toastError(err); }
}

async function downloadSubtask(task, s) {
  try {
    const d = await get(`api/v1/tasks/${enc(task.task_id)}/subtasks/${s.index}/download`, { mode: 'url' });
    startDownload(d.url, d.filename);
    toast(d.files > 1 ? t('sub.downloadZip', { n: d.files, name: d.filename }) : t('sub.downloading', { name: d.filename }), 'success', 3000);
  } catch (err) { toastError(err); }
}
