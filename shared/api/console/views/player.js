// Video/audio player in a dialog. MP4 plays natively; HLS (.m3u8) plays natively where the
// browser can (Safari) and through the vendored hls.js elsewhere (Chromium, Firefox).
import { t } from '../i18n.js';
import { h, clear, openDialog, fmtSeconds } from '../ui.js';

const HLS_MODULE = '../vendor/hls-1.7.4.light.min.mjs';

export function isHls(item) {
  const type = String(item.content_type || '').toLowerCase();
  return type.includes('mpegurl') || /\.m3u8(\?|$)/i.test(String(item.url).split('#')[0]) || /\.m3u8$/i.test(item.name || '');
}

function isAudio(item) { return String(item.content_type || '').startsWith('audio/'); }

/** A player element for one item; returns {el, media, destroy}. */
export function createPlayer(item) {
  const media = h(isAudio(item) ? 'audio' : 'video', {
    controls: true, preload: 'metadata', playsInline: true, class: 'player-media', 'data-testid': 'player-video',
    'aria-label': t('player.label', { name: item.name || '' }),
  });
  const info = h('div', { class: 'player-info muted small', 'aria-live': 'polite' });
  const error = h('div', { class: 'player-error', role: 'alert', hidden: true });
  let hls = null;
  const fail = (message) => {
    error.hidden = false;
    clear(error, h('p', {}, message), h('a', { href: item.url, target: '_blank', rel: 'noopener' }, t('player.openDirect')));
  };
  media.addEventListener('loadedmetadata', () => {
    const dims = media.videoWidth ? ` · ${media.videoWidth}×${media.videoHeight}` : '';
    info.textContent = `${t('player.duration')}: ${fmtSeconds(media.duration)}${dims}`;
  });
  media.addEventListener('error', () => {
    if (hls) return; // hls.js reports its own errors
    fail(t('player.cannotPlay'));
  });
  if (isHls(item) && !media.canPlayType('application/vnd.apple.mpegurl')) {
    import(HLS_MODULE).then(({ default: Hls }) => {
      if (!Hls.isSupported()) { fail(t('player.noHls')); return; }
      hls = new Hls({ enableWorker: false, lowLatencyMode: false });
      hls.on(Hls.Events.ERROR, (_evt, data) => { if (data.fatal) fail(`${t('player.cannotPlay')} (${data.details})`); });
      hls.loadSource(item.url);
      hls.attachMedia(media);
      media.dataset.hls = 'true';
    }).catch(() => fail(t('player.noHls')));
  } else {
    media.src = item.url;
  }
  const el = h('div', { class: 'player' }, media, info, error);
  return {
    el, media,
    destroy() {
      try { hls?.destroy(); } catch { /* already gone */ }
      media.pause(); media.removeAttribute('src'); media.load();
    },
  };
}

/** A dialog with a player; several items get a list to switch between them. */
export function playerDialog({ title, subtitle, items, testid = 'player-dialog', extra }) {
  let player = null;
  const stage = h('div', { class: 'player-stage' });
  const list = items.length > 1 ? h('ul', { class: 'player-list', 'aria-label': t('player.files') }) : null;
  const show = (item, btn) => {
    player?.destroy();
    player = createPlayer(item);
    clear(stage, player.el);
    list?.querySelectorAll('button').forEach((b) => b.setAttribute('aria-current', String(b === btn)));
  };
  items.forEach((item, i) => {
    if (!list) return;
    const b = h('button', { type: 'button', class: 'link-like', onclick: () => show(item, b) }, item.name || `#${i + 1}`);
    list.append(h('li', {}, b));
  });
  const dlg = openDialog({
    title, size: 'lg', testid,
    content: h('div', { class: 'player-dialog' }, subtitle ? h('p', { class: 'muted small break' }, subtitle) : null, stage, list, extra || null),
    actions: (d) => [
      items.length === 1 ? h('a', { class: 'btn btn-default', href: items[0].url, target: '_blank', rel: 'noopener' }, t('player.openDirect')) : null,
      h('button', { type: 'button', class: 'btn btn-primary', onclick: () => d.close() }, t('common.close')),
    ].filter(Boolean),
    onClose: () => player?.destroy(),
  });
  show(items[0], list?.querySelector('button'));
  player.media.focus();
  return dlg;
}
