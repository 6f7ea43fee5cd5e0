// The sprite viewer: scrub through the thumbnails by time (the WebVTT track the server reads back),
// the cue list with times, and the sheets themselves. Counts say what the row says: files, of which
// sheets and one track.
import { t } from '../i18n.js';
import { h, clear, openDialog, fmtSeconds } from '../ui.js';
import { lightbox } from './results.js';

/** Sheets and track of a sprite's outputs, for the row and the dialog alike. */
export function spriteCounts(outputs) {
  const keys = (outputs || []).map((o) => String(o.key || o.name || ''));
  const tracks = keys.filter((k) => k.endsWith('.vtt')).length;
  const sheets = keys.length - tracks;
  return { files: keys.length, sheets, tracks, sheetsText: t(sheets === 1 ? 'sprite.oneSheet' : 'sprite.nSheets', { n: sheets }) };
}

function cueAt(cues, time) {
  return cues.find((c) => time >= c.start && time < c.end) || cues[cues.length - 1];
}

function cell(cue, sheet, scale = 1) {
  return h('div', {
    class: 'sprite-cell', role: 'img', 'aria-label': t('sprite.cellAt', { time: fmtSeconds(cue.start) }),
    style: {
      width: `${cue.w * scale}px`, height: `${cue.h * scale}px`,
      backgroundImage: sheet ? `url("${sheet.url}")` : 'none',
      backgroundPosition: `-${cue.x * scale}px -${cue.y * scale}px`,
      backgroundSize: sheet?.width ? `${sheet.width * scale}px ${sheet.height * scale}px` : 'auto',
    },
  });
}

export function spriteDialog({ title, items, thumbnails }) {
  const cues = thumbnails.cues || [];
  const sheetOf = (cue) => items.find((it) => it.name === cue.sheet);
  const counts = spriteCounts([...items, thumbnails.track]);
  const duration = cues.length ? cues[cues.length - 1].end : 0;
  const preview = h('div', { class: 'sprite-preview', 'data-testid': 'sprite-preview' });
  const label = h('div', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'sprite-time' });
  const rows = [];
  const show = (time) => {
    const cue = cueAt(cues, time);
    if (!cue) return;
    clear(preview, cell(cue, sheetOf(cue), 2));
    label.textContent = t('sprite.cueRange', { start: fmtSeconds(cue.start), end: fmtSeconds(cue.end), sheet: cue.sheet });
    rows.forEach((r) => r.setAttribute('aria-current', String(r.dataset.start === String(cue.start))));
  };
  const scrub = h('input', {
    type: 'range', min: '0', max: String(duration), step: 'any', value: '0', class: 'sprite-scrub',
    'aria-label': t('sprite.scrub'), 'data-testid': 'sprite-scrub', oninput: (e) => show(Number(e.target.value)),
  });
  // Hovering the bar previews the time under the pointer, as a player's seek bar does.
  scrub.addEventListener('pointermove', (e) => {
    const box = scrub.getBoundingClientRect();
    if (box.width > 0) show(Math.min(Math.max((e.clientX - box.left) / box.width, 0), 1) * duration * 0.9999);
  });
  const table = h('table', { class: 'table sprite-cues', 'data-testid': 'sprite-cues' },
    h('thead', {}, h('tr', {}, [t('sprite.col.time'), t('sprite.col.thumb'), t('sprite.col.sheet')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, cues.map((cue) => {
      const row = h('tr', { 'data-testid': 'sprite-cue', 'data-start': String(cue.start) },
        h('td', { class: 'nowrap' }, h('button', { type: 'button', class: 'link-like', onclick: () => { scrub.value = String(cue.start); show(cue.start); } },
          `${fmtSeconds(cue.start)} – ${fmtSeconds(cue.end)}`)),
        h('td', {}, cell(cue, sheetOf(cue), 0.5)),
        h('td', { class: 'small' }, t('sprite.where', { sheet: cue.sheet, x: cue.x, y: cue.y })));
      rows.push(row);
      return row;
    })));
  const sheets = h('ul', { class: 'gallery', 'data-testid': 'gallery', 'aria-label': t('sprite.sheets', { n: counts.sheets }) },
    items.map((item, i) => h('li', {}, h('button', {
      type: 'button', class: 'thumb', 'data-testid': 'gallery-item', 'aria-label': t('gallery.open', { name: item.name }),
      onclick: () => lightbox(items, i),
    }, h('img', { src: item.url, alt: item.name, loading: 'lazy' }),
    h('span', { class: 'thumb-caption' }, `${item.name}${item.width ? ` · ${item.width}×${item.height}` : ''}`)))));
  const dlg = openDialog({
    title, size: 'xl', testid: 'gallery-dialog',
    content: h('div', { class: 'sprite-viewer', 'data-testid': 'sprite-viewer' },
      h('p', { class: 'muted small', 'data-testid': 'sprite-count' }, t('sprite.count', { files: counts.files, sheets: counts.sheetsText, cells: cues.length })),
      h('div', { class: 'sprite-stage' }, preview, label, scrub),
      h('h3', {}, t('sprite.cues', { n: cues.length })), h('div', { class: 'table-wrap sprite-cue-wrap' }, table),
      h('h3', {}, t('sprite.sheets', { n: counts.sheets })), sheets,
      h('p', { class: 'small' }, h('a', { href: thumbnails.track.url, target: '_blank', rel: 'noopener', 'data-testid': 'sprite-track' }, t('sprite.track', { name: thumbnails.track.name })))),
  });
  show(0);
  return dlg;
}
