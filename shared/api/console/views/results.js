// Viewers for subtask outputs: snapshot gallery with a lightbox, the review timeline and the
// analysis results.
import { t, getLang } from '../i18n.js';
import { h, clear, openDialog, fmtSeconds, fmtValue, kvList } from '../ui.js';
import { generatedLabel } from './common.js';

const num = (v) => (v === undefined || v === null || v === '' || Number.isNaN(Number(v)) ? null : Number(v));
const startOf = (s) => num(s.start_time_offset ?? s.start_time ?? s.start ?? s.time_offset ?? s.time);
const endOf = (s) => num(s.end_time_offset ?? s.end_time ?? s.end) ?? startOf(s);
const baseName = (x) => String(x || '').split('/').pop();

function itemFinder(items) {
  const byName = new Map();
  for (const it of items || []) { byName.set(it.name, it); byName.set(baseName(it.name), it); byName.set(baseName(it.url?.split('?')[0]), it); }
  return (name) => (name ? byName.get(name) || byName.get(baseName(name)) : null);
}

function caption(item, i) {
  const time = num(item.time_offset);
  return [item.name || `#${i + 1}`, time !== null ? fmtSeconds(time) : null].filter(Boolean).join(' · ');
}

// ---- gallery + lightbox --------------------------------------------------------------------------
export function galleryDialog({ title, items }) {
  const grid = h('ul', { class: 'gallery', 'data-testid': 'gallery', 'aria-label': t('gallery.label', { n: items.length }) },
    items.map((item, i) => h('li', {}, h('button', {
      type: 'button', class: 'thumb', 'data-testid': 'gallery-item', 'aria-label': t('gallery.open', { name: caption(item, i) }),
      onclick: () => lightbox(items, i),
    }, h('img', { src: item.url, alt: caption(item, i), loading: 'lazy', decoding: 'async' }), h('span', { class: 'thumb-caption' }, caption(item, i))))));
  return openDialog({ title, size: 'xl', testid: 'gallery-dialog', content: h('div', {}, h('p', { class: 'muted small' }, t('gallery.count', { n: items.length })), grid) });
}

export function lightbox(items, start) {
  let index = start;
  const img = h('img', { class: 'lightbox-img', 'data-testid': 'lightbox-image', alt: '' });
  const counter = h('span', { class: 'lightbox-counter', 'aria-live': 'polite', 'data-testid': 'lightbox-counter' });
  const open = h('a', { class: 'btn btn-default btn-sm', target: '_blank', rel: 'noopener' }, t('gallery.original'));
  const show = (i) => {
    index = (i + items.length) % items.length;
    const item = items[index];
    img.src = item.url; img.alt = caption(item, index);
    counter.textContent = `${index + 1} / ${items.length} · ${caption(item, index)}`;
    open.href = item.url;
  };
  const prev = h('button', { type: 'button', class: 'btn btn-default', 'aria-label': t('gallery.prev'), 'data-testid': 'lightbox-prev', onclick: () => show(index - 1) }, '‹');
  const next = h('button', { type: 'button', class: 'btn btn-default', 'aria-label': t('gallery.next'), 'data-testid': 'lightbox-next', onclick: () => show(index + 1) }, '›');
  const dlg = openDialog({
    title: t('gallery.lightbox'), size: 'xl', testid: 'lightbox', className: 'lightbox',
    content: h('div', { class: 'lightbox-body' }, h('div', { class: 'lightbox-stage' }, prev, img, next), h('div', { class: 'lightbox-bar' }, counter, open)),
  });
  dlg.el.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') { e.preventDefault(); show(index - 1); }
    if (e.key === 'ArrowRight') { e.preventDefault(); show(index + 1); }
  });
  show(start);
  next.focus();
  return dlg;
}

// ---- content review -------------------------------------------------------------------------------
const SUGGESTION_CLASS = { pass: 'success', review: 'processing', block: 'fail' };

function suggestionBadge(s) {
  return h('span', { class: `badge badge-${SUGGESTION_CLASS[s] || 'waiting'}`, 'data-testid': 'suggestion' }, t(`suggestion.${s}`, {}, s || '—'));
}

function pct(confidence) { const c = num(confidence); return c === null ? '—' : `${c <= 1 && c > 0 && !Number.isInteger(c) ? Math.round(c * 100) : Math.round(c)}%`; }

export function reviewDialog({ title, result, items }) {
  const find = itemFinder(items);
  const segments = (result.segments || []).slice().sort((a, b) => (startOf(a) ?? 0) - (startOf(b) ?? 0));
  const duration = num(result.duration) || Math.max(1, ...segments.map((s) => endOf(s) ?? 0));
  const detail = h('div', { class: 'segment-detail', 'aria-live': 'polite', 'data-testid': 'segment-detail' });
  const segLabel = (s) => `${t(`reviewType.${s.type}`, {}, s.type || '')} ${generatedLabel(s.label)}`.trim();
  const select = (s, btn) => {
    timeline.querySelectorAll('.seg').forEach((b) => b.setAttribute('aria-pressed', String(b === btn)));
    const pic = find(s.pic_file);
    clear(detail,
      h('h3', {}, `${fmtSeconds(startOf(s))} – ${fmtSeconds(endOf(s))} · ${segLabel(s)}`),
      kvList([
        [t('review.suggestion'), suggestionBadge(s.suggestion)], [t('review.confidence'), pct(s.confidence)],
        [t('review.label'), generatedLabel(s.label) || '—'], s.keyword_set?.length ? [t('review.keywords'), s.keyword_set.join(', ')] : null,
        s.text ? [t('review.text'), s.text] : null,
      ], { class: 'kv kv-grid' }),
      pic ? h('figure', { class: 'evidence' }, h('img', { src: pic.url, alt: t('review.evidenceAlt', { time: fmtSeconds(startOf(s)) }), 'data-testid': 'evidence' }), h('figcaption', { class: 'muted small' }, t('review.evidence'))) : null);
  };
  const timeline = h('div', { class: 'timeline', role: 'group', 'aria-label': t('review.timeline'), 'data-testid': 'review-timeline' },
    h('div', { class: 'timeline-axis', 'aria-hidden': 'true' }, h('span', {}, '0s'), h('span', {}, fmtSeconds(duration))));
  segments.forEach((s) => {
    const left = ((startOf(s) ?? 0) / duration) * 100;
    const width = Math.max(0.8, (((endOf(s) ?? 0) - (startOf(s) ?? 0)) / duration) * 100);
    const b = h('button', { type: 'button', class: `seg seg-${s.suggestion || 'pass'}`, 'aria-pressed': 'false', 'data-testid': 'review-segment',
      title: `${fmtSeconds(startOf(s))}–${fmtSeconds(endOf(s))} ${segLabel(s)} (${t(`suggestion.${s.suggestion}`, {}, s.suggestion)}, ${pct(s.confidence)})`,
      'aria-label': `${fmtSeconds(startOf(s))} – ${fmtSeconds(endOf(s))}: ${segLabel(s)}, ${t(`suggestion.${s.suggestion}`, {}, s.suggestion)}, ${pct(s.confidence)}`,
      onclick: () => select(s, b) });
    b.style.left = `${Math.min(99, left)}%`; b.style.width = `${Math.min(100 - left, width)}%`;
    timeline.append(b);
  });
  const table = segments.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table compact', 'data-testid': 'segment-table' },
    h('thead', {}, h('tr', {}, [t('review.time'), t('review.type'), t('review.label'), t('review.confidence'), t('review.suggestion'), t('review.evidence')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, segments.map((s) => {
      const pic = find(s.pic_file);
      return h('tr', {}, h('td', {}, `${fmtSeconds(startOf(s))} – ${fmtSeconds(endOf(s))}`), h('td', {}, t(`reviewType.${s.type}`, {}, s.type || '—')),
        h('td', {}, [generatedLabel(s.label), ...(s.keyword_set || [])].filter(Boolean).join(', ') || '—'), h('td', {}, pct(s.confidence)), h('td', {}, suggestionBadge(s.suggestion)),
        h('td', {}, pic ? h('img', { class: 'evidence-thumb', src: pic.url, alt: t('review.evidenceAlt', { time: fmtSeconds(startOf(s)) }) }) : '—'));
    })))) : h('p', { class: 'muted', 'data-testid': 'no-segments' }, t('review.noSegments'));
  const tasks = (result.tasks || []).length ? h('div', { class: 'chips' }, result.tasks.map((x) => h('span', { class: 'chip' },
    `${t(`reviewType.${x.type}`, {}, x.type)}: `, suggestionBadge(x.suggestion), ` ${pct(x.confidence)}`))) : null;
  const content = h('div', { class: 'review', 'data-testid': 'review-result' },
    kvList([
      [t('review.overall'), suggestionBadge(result.suggestion)], [t('review.confidence'), pct(result.confidence)],
      [t('review.label'), generatedLabel(result.label) || '—'], [t('review.duration'), fmtSeconds(result.duration)],
      [t('review.frames'), result.frames_sampled ?? '—'], [t('review.segments'), result.segment_count ?? segments.length],
    ], { class: 'kv kv-grid' }),
    tasks, h('h3', {}, t('review.timeline')), timeline, detail, table,
    result.asr === 'not_supported' ? h('p', { class: 'muted small' }, t('review.asrNotSupported')) : null,
    otherResults(result, ['segments', 'tasks', 'suggestion', 'confidence', 'label', 'duration', 'frames_sampled', 'segment_count', 'asr', 'type', 'files']));
  return openDialog({ title, size: 'xl', testid: 'review-dialog', content });
}

// ---- content analysis -----------------------------------------------------------------------------
export function analysisDialog({ title, result, items }) {
  const find = itemFinder(items);
  const used = new Set(['type', 'files']);
  const sections = [];
  const take = (...keys) => { for (const k of keys) if (result[k] !== undefined && result[k] !== null) { used.add(k); return result[k]; } return undefined; };
  const duration = num(take('duration'));
  const cuts = take('cuts');
  let scenes = take('scenes');
  if (!Array.isArray(scenes) && Array.isArray(cuts)) {
    // The summary keeps the cut times only: scenes are the spans between them.
    const bounds = [0, ...cuts.map(Number), duration ?? Math.max(0, ...cuts.map(Number))];
    scenes = bounds.slice(0, -1).map((start, i) => ({ start_time_offset: start, end_time_offset: bounds[i + 1] }));
  }
  const sceneCount = take('scene_count') ?? (Array.isArray(scenes) ? scenes.length : undefined);
  const engine = take('engine');
  sections.push(kvList([
    [t('review.duration'), fmtSeconds(duration)],
    sceneCount !== undefined ? [t('analysis.scenes'), sceneCount] : null,
    engine && typeof engine === 'object' ? [t('analysis.engine'), Object.values(engine).filter(Boolean).join(' · ')] : null,
  ], { class: 'kv kv-grid' }));
  // Generated sentences come in both languages (summary, summary_zh); results from before that have English only.
  const summaryZh = take('summary_zh');
  const summary = (getLang() === 'zh-CN' && summaryZh) || take('summary', 'description');
  used.add('summary');
  if (summary) sections.push(h('h3', {}, t('analysis.summary')), typeof summary === 'object' ? kvList(Object.entries(summary).map(([k, v]) => [t(`param.${k}`, {}, k), v])) : h('p', { 'data-testid': 'analysis-summary' }, String(summary)));
  const cover = take('cover', 'covers');
  const coverSet = take('cover_set');
  const fileOf = (c) => (typeof c === 'string' ? c : c && (c.cover_file || c.file || c.pic_file || c.name));
  const coverItems = [...new Set([].concat(cover || [], coverSet || []).map((c) => find(fileOf(c))).filter(Boolean))];
  if (!coverItems.length) coverItems.push(...(items || []).filter((i) => /cover/i.test(i.name || '')));
  if (coverItems.length || cover) {
    sections.push(h('h3', {}, t('analysis.cover')), coverItems.length
      ? h('div', { class: 'covers' }, coverItems.map((c) => h('figure', { class: 'evidence' }, h('img', { class: 'cover-img', src: c.url, alt: t('analysis.cover'), 'data-testid': 'analysis-cover' }),
        num(c.time_offset) !== null ? h('figcaption', { class: 'muted small' }, fmtSeconds(c.time_offset)) : null)))
      : h('p', { class: 'muted' }, fmtValue(cover)));
  }
  const tags = take('tags', 'tag_set');
  if (Array.isArray(tags)) {
    sections.push(h('h3', {}, t('analysis.tags')), tags.length ? h('ul', { class: 'chips', 'data-testid': 'analysis-tags' }, tags.map((tag) => h('li', { class: 'chip' },
      typeof tag === 'object' ? `${generatedLabel(tag.tag ?? tag.name ?? tag.label ?? '')}${tag.confidence !== undefined ? ` · ${pct(tag.confidence)}` : ''}${tag.source ? ` · ${t(`tagSource.${tag.source}`, {}, tag.source)}` : ''}` : String(tag))))
      : h('p', { class: 'muted' }, t('analysis.none')));
  }
  if (Array.isArray(scenes)) {
    sections.push(h('h3', {}, `${t('analysis.scenes')} (${scenes.length})`), scenes.length ? segmentTable(scenes, find, 'analysis-scenes') : h('p', { class: 'muted' }, t('analysis.none')));
  }
  for (const key of ['highlights', 'black', 'black_segments', 'silence', 'silence_segments']) {
    const list = take(key);
    if (!Array.isArray(list)) continue;
    sections.push(h('h3', {}, `${t(`analysis.${key}`, {}, key)} (${list.length})`), list.length ? segmentTable(list, find, `analysis-${key}`) : h('p', { class: 'muted' }, t('analysis.none')));
  }
  const loud = take('loudness');
  if (loud && typeof loud === 'object') sections.push(h('h3', {}, t('analysis.loudness')), kvList(Object.entries(loud).map(([k, v]) => [t(`param.${k}`, {}, k), v]), { class: 'kv kv-grid' }));
  sections.push(otherResults(result, [...used]));
  return openDialog({ title, size: 'xl', testid: 'analysis-dialog', content: h('div', { class: 'analysis', 'data-testid': 'analysis-result' }, sections) });
}

function segmentTable(list, find, testid) {
  const extraKeys = [...new Set(list.flatMap((s) => Object.keys(s)))].filter((k) => !/^(start|end)(_time)?(_offset)?$|^(pic_file|file|thumbnail|index)$/.test(k)).slice(0, 4);
  const picOf = (s) => find(s.pic_file || s.file || s.thumbnail);
  const pictures = list.some(picOf);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table compact', 'data-testid': testid },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, t('review.time')), extraKeys.map((k) => h('th', { scope: 'col' }, t(`param.${k}`, {}, k))),
      pictures ? h('th', { scope: 'col' }, t('analysis.picture')) : null)),
    h('tbody', {}, list.map((s, i) => {
      const pic = picOf(s);
      return h('tr', {}, h('td', {}, String(i + 1)), h('td', {}, `${fmtSeconds(startOf(s))} – ${fmtSeconds(endOf(s))}`),
        extraKeys.map((k) => h('td', {}, fmtValue(s[k]))),
        pictures ? h('td', {}, pic ? h('img', { class: 'evidence-thumb', src: pic.url, alt: `#${i + 1}` }) : '—') : null);
    }))));
}

function otherResults(result, skip) {
  // result_files are the pictures and JSON the viewers show and link; never raw JSON here.
  const rest = Object.fromEntries(Object.entries(result || {}).filter(([k]) => !skip.includes(k) && k !== 'result_files'));
  if (!Object.keys(rest).length) return null;
  return h('details', { class: 'other-results' }, h('summary', {}, t('analysis.other')), h('pre', { class: 'code-block' }, JSON.stringify(rest, null, 2)));
}

/** Any other result (e.g. an enhancement summary without a playable output). */
export function resultDialog({ title, result, items }) {
  return openDialog({ title, size: 'lg', testid: 'result-dialog', content: h('div', {},
    result ? h('pre', { class: 'code-block' }, JSON.stringify(result, null, 2)) : null,
    (items || []).length ? h('ul', {}, items.map((i) => h('li', {}, h('a', { href: i.url, target: '_blank', rel: 'noopener' }, i.name)))) : null) });
}

/** The enhancement's before/after measurements, shown under its player. */
export function enhancementSummary(result) {
  const changes = result && typeof result.changes === 'object' ? result.changes : null;
  const table = changes && Object.keys(changes).length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table compact', 'data-testid': 'enhance-changes' },
    h('thead', {}, h('tr', {}, [t('param.label'), t('enhance.before'), t('enhance.after'), t('enhance.delta')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, Object.entries(changes).map(([k, v]) => h('tr', {}, h('td', {}, t(`param.${k}`, {}, k)),
      h('td', {}, fmtValue(v?.before)), h('td', {}, fmtValue(v?.after)), h('td', {}, fmtValue(v?.delta))))))) : null;
  // Sharpening after denoising raises the grain left along with the detail: say which figure is which.
  const note = changes?.noise?.measured === 'after_denoise_before_sharpen'
    ? h('p', { class: 'muted small', 'data-testid': 'enhance-noise-note' }, t('enhance.noiseNote')) : null;
  const rest = otherResults(result, ['changes', 'type', 'files']);
  if (!table && !rest) return null;
  return h('div', { class: 'enhance-summary' }, table ? h('h3', {}, t('enhance.changes')) : null, table, note, rest);
}
