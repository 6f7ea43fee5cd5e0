// Parameters, results and output metadata in plain words instead of JSON: "Automatic" for a
// width of 0, nested settings as readable lines, "MP4" for ffmpeg's "mov,mp4,m4a,3gp,3g2,mj2".
import { t } from '../i18n.js';
import { h, fmtValue } from '../ui.js';

const AUTO_WHEN_ZERO = new Set(['width', 'height', 'fps', 'video_bitrate_kbps', 'audio_bitrate_kbps', 'sample_rate', 'gop']);

const label = (key) => t(`param.${key}`, {}, key.replace(/_/g, ' '));

function choice(value) {
  return typeof value === 'string' ? t(`choice.${value}`, {}, value) : fmtValue(value);
}

/** One parameter as text or nodes. */
export function paramValue(key, value) {
  if ((value === 0 || value === '0') && AUTO_WHEN_ZERO.has(key)) return t('param.automatic');
  if (Array.isArray(value) && value.some((x) => x && typeof x === 'object')) {
    return h('div', { class: 'param-list' }, value.map((x) => h('div', {}, readable(x))));
  }
  if (value && typeof value === 'object') return readable(value);
  return choice(value);
}

/** A settings object as "Label: value · Label: value", nested objects one level deeper. */
export function readable(obj) {
  const parts = Object.entries(obj || {}).filter(([, v]) => v !== null && v !== undefined && v !== '');
  if (!parts.length) return '—';
  return h('div', { class: 'param-object' }, parts.map(([k, v]) => h('div', {},
    h('span', { class: 'muted' }, `${label(k)}: `),
    v && typeof v === 'object' && !Array.isArray(v) ? readable(v) : paramValue(k, v))));
}

/** The parameter list of a subtask as kvList rows. */
export function paramRows(params) {
  return Object.entries(params || {}).map(([k, v]) => [label(k), paramValue(k, v)]);
}

const CONTAINERS = {
  mp4: 'MP4', m4a: 'M4A (AAC)', mov: 'QuickTime MOV', m3u8: 'HLS', ts: 'MPEG-TS', webm: 'WebM', mkv: 'Matroska (MKV)',
  flv: 'FLV', mp3: 'MP3', aac: 'AAC', wav: 'WAV', flac: 'FLAC', ogg: 'Ogg', jpg: 'JPEG', jpeg: 'JPEG', png: 'PNG',
  webp: 'WebP', gif: 'GIF', vtt: 'WebVTT',
};

/** ffmpeg names a demuxer family ("mov,mp4,m4a,3gp,3g2,mj2"); a person wants the file's format. */
export function containerName(output) {
  const ext = String(output?.key || output?.name || '').split('.').pop().toLowerCase();
  if (CONTAINERS[ext]) return CONTAINERS[ext];
  const first = String(output?.container || output?.format || '').split(',')[0];
  return CONTAINERS[first] || (first ? first.toUpperCase() : '—');
}
