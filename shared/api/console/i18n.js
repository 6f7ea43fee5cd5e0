// Translations: zh-CN and English, every label. The language defaults to the browser's and is
// kept in localStorage once chosen. t(key, params, fallback) formats "{name}" placeholders.
import { en } from './i18n/en.js';
import { zhCN } from './i18n/zh-CN.js';

export const DICTS = { 'zh-CN': zhCN, en };
export const LANGS = [['zh-CN', '简体中文'], ['en', 'English']];
const LANG_KEY = 'openmps.lang';

// Keys asked for but missing (the browser tests assert this stays empty).
const missing = new Set();
window.__i18nMissing = missing;

export function detectLang(languages = navigator.languages || [navigator.language]) {
  for (const l of languages) {
    const lower = String(l || '').toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

let current = (() => {
  const saved = localStorage.getItem(LANG_KEY);
  return DICTS[saved] ? saved : detectLang();
})();

export const getLang = () => current;

const listeners = new Set();
export function onLangChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function setLang(lang) {
  if (!DICTS[lang] || lang === current) return;
  current = lang;
  localStorage.setItem(LANG_KEY, lang);
  listeners.forEach((fn) => fn(lang));
}

export function t(key, params = {}, fallback) {
  let text = DICTS[current][key];
  if (text === undefined) {
    if (fallback === undefined) { missing.add(`${current}:${key}`); text = DICTS.en[key] ?? key; } else text = fallback;
  }
  return String(text).replace(/\{(\w+)\}/g, (m, name) => (params[name] !== undefined && params[name] !== null ? String(params[name]) : m));
}

/**
 * A message the server wrote, in the console's language: the API sends a stable code (and
 * message_params) beside its English message. English shows the server's own, most specific
 * sentence; other languages render the code from their table, falling back to the code's family
 * ("InvalidParameterValue.Xyz" -> "InvalidParameterValue") and then to a generic sentence.
 */
export function serverText(code, message, params) {
  const p = { ...(params || {}), code: code || '' };
  if (current === 'en' && message) return message;
  if (!code) return message || '';
  const dict = DICTS[current];
  const keys = [code === 'InvalidParameter' && p.field ? 'msg.InvalidParameter.Field' : null, `msg.${code}`, `msg.${code.split('.')[0]}`];
  for (const key of keys) if (key && dict[key] !== undefined) return t(key, p);
  return t('msg.generic', p);
}
