// The console shell: sign-in, top bar (language, sign-out), left navigation, and a router on
// location.hash ("#/tasks?status=FINISH", "#/create", "#/templates", "#/workflows").
import { t, getLang, setLang, LANGS, onLangChange } from './i18n.js';
import { get, getToken, setToken, clearToken, onUnauthorized, describeError, ApiError } from './api.js';
import { parseHash, setRenderHook, forgetConfig } from './router.js';
import { h, clear, button, field, closeAllDialogs, toast } from './ui.js';
import * as tasksView from './views/tasks.js';
import * as createView from './views/create.js';
import * as templatesView from './views/templates.js';
import * as workflowsView from './views/workflows.js';

const ROUTES = {
  tasks: { view: tasksView, label: 'nav.tasks', icon: '☰' },
  create: { view: createView, label: 'nav.create', icon: '+' },
  templates: { view: templatesView, label: 'nav.templates', icon: '▤' },
  workflows: { view: workflowsView, label: 'nav.workflows', icon: '⇄' },
};

const root = document.getElementById('app');
let cleanup = null;

function signInView() {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', spellcheck: false, 'data-testid': 'token-input' });
  const remember = h('input', { type: 'checkbox', id: 'remember', 'data-testid': 'remember' });
  const error = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'signin-error' });
  const submit = button(t('signin.submit'), { kind: 'primary', type: 'submit', testid: 'signin-submit' });
  const form = h('form', {
    class: 'signin-card', 'aria-labelledby': 'signin-title',
    onsubmit: async (e) => {
      e.preventDefault();
      const token = input.value.trim();
      error.textContent = '';
      if (!token) { error.textContent = t('signin.empty'); input.focus(); return; }
      submit.disabled = true;
      try {
        await get('api/v1/tasks', { limit: 1 }, { token });
        setToken(token, remember.checked);
        forgetConfig();
        if (!location.hash || location.hash === '#/' || location.hash.startsWith('#/signin')) history.replaceState(null, '', '#/tasks');
        render();
      } catch (err) {
        error.textContent = err instanceof ApiError && err.status === 401 ? t('signin.invalid') : describeError(err);
        submit.disabled = false;
        input.select();
      }
    },
  },
  h('div', { class: 'signin-brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '▶'), t('app.name')),
  h('h1', { id: 'signin-title' }, t('signin.title')),
  h('p', { class: 'muted' }, t('signin.help')),
  field(t('signin.token'), input, { required: true }),
  h('div', { class: 'check' }, remember, h('label', { for: 'remember' }, t('signin.remember'))),
  error, submit,
  h('div', { class: 'signin-lang' }, langSwitch()));
  return h('main', { class: 'signin', id: 'main' }, form);
}

function langSwitch() {
  const sel = h('select', { 'aria-label': t('top.language'), title: t('top.language'), 'data-testid': 'lang-switch', class: 'lang-select',
    onchange: (e) => setLang(e.target.value) });
  for (const [code, label] of LANGS) sel.append(h('option', { value: code, selected: code === getLang() }, label));
  return sel;
}

function shell(active) {
  const navList = h('ul', {}, Object.entries(ROUTES).map(([name, r]) => h('li', {},
    h('a', { href: `#/${name}`, class: name === active ? 'active' : '', 'aria-current': name === active ? 'page' : null, 'data-testid': `nav-${name}` },
      h('span', { class: 'nav-icon', 'aria-hidden': 'true' }, r.icon), t(r.label)))));
  const nav = h('nav', { class: 'sidenav', id: 'sidenav', 'aria-label': t('nav.label') }, navList);
  const menuBtn = h('button', { type: 'button', class: 'icon-btn menu-btn', 'aria-label': t('top.menu'), 'aria-controls': 'sidenav', 'aria-expanded': 'false',
    onclick: () => { const open = document.body.classList.toggle('nav-open'); menuBtn.setAttribute('aria-expanded', String(open)); } }, '☰');
  nav.addEventListener('click', (e) => { if (e.target.closest('a')) document.body.classList.remove('nav-open'); });
  const top = h('header', { class: 'topbar' },
    menuBtn,
    h('a', { class: 'brand', href: '#/tasks' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '▶'), h('span', { class: 'brand-text' }, t('app.name'))),
    h('span', { class: 'topbar-spacer' }),
    h('a', { class: 'top-link', href: 'swagger', target: '_blank', rel: 'noopener' }, t('top.apiDocs')),
    langSwitch(),
    button(t('top.signOut'), { testid: 'sign-out', small: true, onClick: signOut }));
  const main = h('main', { class: 'content', id: 'main', tabindex: '-1' });
  return { node: h('div', { class: 'layout' }, top, h('div', { class: 'body' }, nav, main)), main };
}

function signOut() {
  clearToken();
  forgetConfig();
  closeAllDialogs();
  history.replaceState(null, '', '#/tasks');
  render();
  toast(t('signin.signedOut'), 'info', 3000);
}

let lastRoute = '';
function render() {
  if (cleanup) { try { cleanup(); } catch { /* a view's cleanup must not break navigation */ } cleanup = null; }
  document.documentElement.lang = getLang();
  document.title = t('app.title');
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = t('top.skip');
  closeAllDialogs();
  if (!getToken()) { clear(root, signInView()); root.querySelector('input')?.focus(); return; }
  const { name, params } = parseHash();
  const route = ROUTES[name] ? name : 'tasks';
  const { node, main } = shell(route);
  clear(root, node);
  try {
    cleanup = ROUTES[route].view.render(main, params) || null;
  } catch (err) {
    main.append(h('div', { class: 'error-panel', role: 'alert' }, describeError(err)));
  }
  if (lastRoute && lastRoute !== route) main.focus({ preventScroll: true });
  lastRoute = route;
}

setRenderHook(render);
document.querySelector('.skip-link')?.addEventListener('click', (e) => {
  e.preventDefault();
  const main = document.getElementById('main');
  if (main) { if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1'); main.focus(); }
});
onUnauthorized(() => {
  if (!getToken()) return;
  clearToken();
  render();
  toast(t('signin.expired'), 'error');
});
onLangChange(() => render());
window.addEventListener('hashchange', () => render());
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason && e.reason.name === 'AbortError') return;
  toast(describeError(e.reason), 'error');
});
window.addEventListener('error', (e) => { if (e.message) toast(e.message, 'error'); });

render();
