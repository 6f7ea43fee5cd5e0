// Shared bits of the task views: status badges, type names, operation confirmations.
import { t } from '../i18n.js';
import { h } from '../ui.js';

export const TASK_STATUSES = ['WAITING', 'PROCESSING', 'FINISH'];
export const SUBTASK_TYPES = ['Transcode', 'Snapshot', 'ContentAnalysis', 'ContentReview', 'Enhancement'];
export const HAS_FILES = new Set(['Transcode', 'Snapshot', 'Enhancement']);

export function taskStatusBadge(status) {
  return h('span', { class: `badge badge-${String(status).toLowerCase()}`, 'data-testid': 'task-status', 'data-status': status },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), t(`status.task.${status}`, {}, status));
}

export function subtaskStatusBadge(status) {
  return h('span', { class: `badge badge-${String(status).toLowerCase()}`, 'data-testid': 'subtask-status', 'data-status': status },
    h('span', { class: 'dot', 'aria-hidden': 'true' }), t(`status.subtask.${status}`, {}, status));
}

export function failureBadge(task) {
  const fail = task.subtask_counts?.fail || 0;
  if (!task.has_failed && !fail) return null;
  return h('span', { class: 'badge badge-failed', 'data-testid': 'failure-badge', title: t('task.failedTitle', { n: fail }) },
    t('task.failedCount', { n: fail }));
}

export function isTerminated(task) {
  return Boolean(task.err_code && /terminat|cancel/i.test(task.err_code));
}

export function typeName(type) { return t(`type.${type}`, {}, type); }

export function templateLabel(template) {
  if (!template) return '—';
  const name = template.name || '';
  const def = template.definition !== undefined ? `#${template.definition}` : '';
  return [name, def].filter(Boolean).join(' ');
}

/** Short human summary of a template's key parameters, e.g. "MP4 · H.264 · 720p · 1800 kbps". */
export function templateSummary(tpl) {
  if (!tpl) return '';
  const p = tpl.params && typeof tpl.params === 'object' ? { ...tpl, ...tpl.params } : tpl;
  const parts = [];
  switch (tpl.type) {
    case 'Transcode':
      if (p.container) parts.push(String(p.container).toUpperCase());
      if (p.video_codec) parts.push(String(p.video_codec).toUpperCase().replace('H264', 'H.264').replace('H265', 'H.265'));
      if (p.width || p.height) parts.push(p.height && !p.width ? `${p.height}p` : `${p.width || t('param.auto')}×${p.height || t('param.auto')}`);
      if (p.video_bitrate_kbps) parts.push(`${p.video_bitrate_kbps} kbps`);
      else if (p.crf !== undefined) parts.push(`CRF ${p.crf}`);
      if (p.fps) parts.push(`${p.fps} fps`);
      if (p.audio_codec) parts.push(`${String(p.audio_codec).toUpperCase()}${p.audio_bitrate_kbps ? ` ${p.audio_bitrate_kbps} kbps` : ''}`);
      break;
    case 'Snapshot':
      if (p.kind) parts.push(t(`snapshotKind.${p.kind}`, {}, p.kind));
      if (p.kind === 'time_offset' && p.time_offsets) parts.push(t('summary.at', { list: [].concat(p.time_offsets).join(', ') }));
      else if (p.interval) parts.push(p.sample_type === 'percent' ? t('summary.everyPercent', { n: p.interval }) : t('summary.everySeconds', { n: p.interval }));
      if (p.kind === 'sprite' && p.rows) parts.push(`${p.rows}×${p.columns}`);
      if (p.format) parts.push(String(p.format).toUpperCase());
      if (p.width || p.height) parts.push(`${p.width || t('param.auto')}×${p.height || t('param.auto')}`);
      break;
    default: {
      const on = Object.entries(p).filter(([k, v]) => v === true && !['preset'].includes(k)).map(([k]) => t(`param.${k}`, {}, k));
      const modes = Object.entries(p).filter(([k, v]) => typeof v === 'string' && v !== 'off' && ['deinterlace', 'denoise', 'sharpen', 'color_enhance', 'audio_denoise'].includes(k))
        .map(([k, v]) => `${t(`param.${k}`, {}, k)}: ${v}`);
      if (p.sample_interval) parts.push(t('summary.everySeconds', { n: p.sample_interval }));
      parts.push(...modes, ...on);
      if (p.frame_rate) parts.push(`${p.frame_rate} fps`);
    }
  }
  return parts.join(' · ');
}

/**
 * A task id on one line: the head shrinks behind an ellipsis, the distinctive tail always shows, the
 * full id is in the tooltip and the copy button, and selecting the text still copies all of it.
 */
export function compactId(id, { testid = 'task-id', tail = 10 } = {}) {
  const text = String(id || '');
  return h('code', { class: 'compact-id', title: text, 'data-testid': testid, 'data-full': text },
    h('span', { class: 'compact-id-head' }, text.slice(0, -tail)),
    h('span', { class: 'compact-id-tail' }, text.slice(-tail)));
}

/** A label or tag the engines write in English ("Ad", "porn", "landscape") in the console's language;
 * free text (OCR keywords, metadata tags) stays as written. */
export function generatedLabel(text) {
  if (text === null || text === undefined || text === '') return '';
  return t(`label.${text}`, {}, String(text));
}
