// Task list (the seed's page): search, status filter, pagination, auto-refresh, operations,
// and expandable rows with the subtasks.
import { t, serverText } from '../i18n.js';
import { get, post, describeError } from '../api.js';
import { h, clear, button, select, confirmDialog, toast, toastError, errorPanel, fmtTime, copyText, uid, icon } from '../ui.js';
import { navigate } from '../router.js';
import { uploadDialog } from './upload.js';
import { taskStatusBadge, failureBadge, isTerminated, compactId } from './common.js';
import { taskFilters } from './task_filters.js';
import { TaskDetail } from './subtasks.js';
import { playerDialog } from './player.js';

const REFRESH_MS = 2000;
const PAGE_SIZES = [10, 20, 50, 100];
const FILTERS = ['', 'WAITING', 'PROCESSING', 'FINISH', 'failed'];

export function render(main, params) {
  const state = {
    status: FILTERS.includes(params.status) ? params.status : '',
    taskId: params.task_id || '',
    inputPrefix: params.input_prefix || '',
    inputContains: params.input_contains || '',
    createdFrom: params.created_from || '',
    createdTo: params.created_to || '',
    limit: PAGE_SIZES.includes(Number(params.limit)) ? Number(params.limit) : 20,
    cursors: [null],
    page: 0,
    nextCursor: null,
    tasks: [],
    rows: new Map(), // task_id -> {task, key, row, detailRow, detail}
    expanded: new Set(params.expand ? [params.expand] : []),
    highlight: params.highlight || params.expand || '',
    timer: null,
    token: null,
    disposed: false,
    loadSeq: 0,
  };

  // ---- header and toolbar --------------------------------------------------------------------
  const counts = h('div', { class: 'counts', role: 'group', 'data-testid': 'task-counts', 'aria-label': t('tasks.countsLabel') });
  const statusSelect = select(FILTERS.map((f) => [f, t(`filter.${f || 'all'}`)]), state.status, { 'data-testid': 'status-filter' });
  statusSelect.addEventListener('change', () => { state.status = statusSelect.value; resetAndLoad(); });
  const filters = taskFilters({ task_id: state.taskId, input_prefix: state.inputPrefix, input_contains: state.inputContains, created_from: state.createdFrom, created_to: state.createdTo }, (v) => {
    Object.assign(state, { taskId: v.task_id, inputPrefix: v.input_prefix, inputContains: v.input_contains, createdFrom: v.created_from, createdTo: v.created_to });
    resetAndLoad();
  });
  const statusId = uid('status');
  statusSelect.id = statusId;
  const autoNote = h('span', { class: 'auto-note muted', 'data-testid': 'auto-refresh', hidden: true }, h('span', { class: 'spinner spinner-sm', 'aria-hidden': 'true' }), t('tasks.autoRefresh'));

  const toolbar = h('div', { class: 'toolbar' },
    h('div', { class: 'toolbar-left' },
      button(t('tasks.create'), { kind: 'primary', testid: 'create-task', onClick: () => navigate('create') }),
      button(t('tasks.upload'), { testid: 'upload-open', onClick: () => uploadDialog() }),
      button(t('common.refresh'), { testid: 'refresh', onClick: () => load() })),
    h('div', { class: 'toolbar-right' },
      h('div', { class: 'inline-field' }, h('label', { for: statusId }, t('tasks.status')), statusSelect),
      filters.node));

  const tbody = h('tbody', { 'data-testid': 'task-rows' });
  const table = h('table', { class: 'table task-table', 'data-testid': 'task-table' },
    h('caption', { class: 'sr-only' }, t('tasks.caption')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('tasks.col.id')),
      h('th', { scope: 'col' }, t('tasks.col.input')),
      h('th', { scope: 'col' }, t('tasks.col.status')),
      h('th', { scope: 'col' }, t('tasks.col.created')),
      h('th', { scope: 'col' }, t('tasks.col.finished')),
      h('th', { scope: 'col', class: 'col-ops' }, t('tasks.col.ops')))),
    tbody);

  const pageInfo = h('span', { class: 'page-info', 'data-testid': 'page-info' });
  const prevBtn = h('button', { type: 'button', class: 'btn btn-default btn-sm', 'data-testid': 'page-prev', onclick: () => {
    if (state.page === 0) return;
    state.page -= 1; load();
  } }, t('page.prev'));
  const nextBtn = h('button', { type: 'button', class: 'btn btn-default btn-sm', 'data-testid': 'page-next', onclick: () => {
    if (!state.nextCursor) return;
    state.cursors[state.page + 1] = state.nextCursor; state.page += 1; load();
  } }, t('page.next'));
  const sizeSelect = select(PAGE_SIZES.map((n) => [n, t('page.size', { n })]), state.limit, { 'aria-label': t('page.sizeLabel'), 'data-testid': 'page-size' });
  sizeSelect.addEventListener('change', () => { state.limit = Number(sizeSelect.value); resetAndLoad(); });
  const pager = h('nav', { class: 'pager', 'aria-label': t('page.label') }, sizeSelect, prevBtn, pageInfo, nextBtn);
  const message = h('div', { class: 'list-message' });

  clear(main,
    h('div', { class: 'page-head' }, h('div', { class: 'title-line' }, h('h1', {}, t('tasks.title')), autoNote), counts),
    toolbar, message,
    h('div', { class: 'table-wrap' }, table),
    pager);

  // ---- data -----------------------------------------------------------------------------------
  function syncHash() {
    navigate('tasks', { status: state.status, task_id: state.taskId, input_prefix: state.inputPrefix, input_contains: state.inputContains, created_from: state.createdFrom,
      created_to: state.createdTo, limit: state.limit === 20 ? '' : state.limit }, { silent: true });
  }

  function resetAndLoad() {
    state.cursors = [null]; state.page = 0; state.highlight = '';
    syncHash();
    load();
  }

  function query() {
    const q = { limit: state.limit, cursor: state.cursors[state.page] || undefined };
    if (state.taskId) q.task_id = state.taskId;
    if (state.inputPrefix) q.input_prefix = state.inputPrefix;
    if (state.inputContains) q.input_contains = state.inputContains;
    if (state.createdFrom) q.created_from = state.createdFrom;
    if (state.createdTo) q.created_to = state.createdTo;
    if (state.status === 'failed') { q.status = 'FINISH'; q.failed = 'true'; } else if (state.status) q.status = state.status;
    return q;
  }

  // The count chips are built once and updated in place, so a refresh never steals focus.
  const chips = FILTERS.map((filter) => {
    const n = h('span', { class: 'count-n' }, '–');
    const chip = h('button', { type: 'button', class: `count-chip ${filter.toLowerCase()}`,
      'data-testid': `count-${filter || 'all'}`, onclick: () => { state.status = filter; statusSelect.value = filter; resetAndLoad(); } },
    h('span', { class: 'count-label' }, t(`filter.${filter || 'all'}`)), n);
    return { filter, chip, n };
  });
  clear(counts, chips.map((c) => c.chip));
  counts.hidden = true;

  async function loadCounts() {
    try {
      const c = await get('api/v1/tasks/counts');
      const values = { '': c.total, WAITING: c.waiting, PROCESSING: c.processing, FINISH: c.finish, failed: c.failed };
      for (const { filter, chip, n } of chips) {
        n.textContent = String(values[filter] ?? 0);
        chip.classList.toggle('active', state.status === filter);
        chip.setAttribute('aria-pressed', String(state.status === filter));
      }
      counts.hidden = false;
    } catch { counts.hidden = true; }
  }

  // The list is live through a change token: one tiny request per tick, and the list and counts
  // are read again only when the token moved (a task was created, started, progressed a subtask,
  // finished, was terminated or restarted), wherever that task is. Expanded details of running
  // tasks refresh on every tick for their progress bars.
  async function load({ quiet = false } = {}) {
    const seq = ++state.loadSeq;
    clearTimeout(state.timer);
    if (!quiet) { table.setAttribute('aria-busy', 'true'); }
    try {
      // The token is read before the list, so a change racing the read moves it once more.
      state.token = await readToken();
      const [data] = await Promise.all([get('api/v1/tasks', query()), loadCounts()]);
      if (state.disposed || seq !== state.loadSeq) return;
      let tasks = data.tasks || [];
      if (state.status === 'failed') tasks = tasks.filter((x) => x.has_failed);
      state.tasks = tasks;
      state.nextCursor = data.next_cursor || null;
      clear(message);
      renderRows();
      await refreshExpanded();
    } catch (err) {
      if (state.disposed || seq !== state.loadSeq) return;
      if (quiet) { clear(message, h('div', { class: 'inline-error', role: 'status' }, t('tasks.refreshFailed', { message: describeError(err) }))); } else {
        clear(message, errorPanel(err, () => load()));
        state.tasks = []; state.rows.clear(); clear(tbody);
      }
    } finally {
      if (seq === state.loadSeq) table.removeAttribute('aria-busy');
    }
    if (!state.disposed && seq === state.loadSeq) schedule();
  }

  async function readToken() {
    try { return (await get('api/v1/tasks/changes')).token; } catch { return null; }
  }

  async function tick() {
    const seq = state.loadSeq;
    const token = await readToken();
    if (state.disposed || seq !== state.loadSeq) return;
    if (token === null || token !== state.token) { await load({ quiet: true }); return; }
    await refreshExpanded();
    if (!state.disposed && seq === state.loadSeq) schedule();
  }

  function needsRefresh() {
    return state.tasks.some((x) => x.status !== 'FINISH')
      || [...state.expanded].some((id) => state.rows.get(id)?.detail?.active());
  }

  function schedule() {
    autoNote.hidden = !needsRefresh();
    clearTimeout(state.timer);
    // A hidden tab asks nothing; it catches up on the first tick after it shows again.
    state.timer = setTimeout(() => { if (document.hidden) schedule(); else tick(); }, REFRESH_MS);
  }

  async function refreshExpanded() {
    const jobs = [];
    for (const id of state.expanded) {
      const entry = state.rows.get(id);
      if (entry?.detail && (entry.detail.active() || entry.detail.stale(entry.task))) jobs.push(entry.detail.refresh());
    }
    await Promise.all(jobs);
  }

  // ---- rows -----------------------------------------------------------------------------------
  function renderRows() {
    pageInfo.textContent = t('page.info', { n: state.page + 1 });
    prevBtn.disabled = state.page === 0;
    nextBtn.disabled = !state.nextCursor;
    if (!state.tasks.length) {
      state.rows.clear();
      const filtered = state.status || state.inputPrefix || state.inputContains || state.createdFrom || state.createdTo;
      const text = state.taskId ? t('tasks.noMatchId', { id: state.taskId }) : filtered ? t('tasks.noMatchFilter') : t('tasks.empty');
      clear(tbody, h('tr', {}, h('td', { colspan: '6', class: 'empty-cell' },
        h('div', { class: 'empty' }, h('p', {}, text),
          state.taskId || filtered ? button(t('tasks.clearFilters'), { onClick: () => {
            Object.assign(state, { taskId: '', status: '', inputPrefix: '', inputContains: '', createdFrom: '', createdTo: '' });
            filters.clear(); statusSelect.value = ''; resetAndLoad();
          } })
            : h('div', { class: 'empty-actions' }, button(t('tasks.upload'), { kind: 'primary', onClick: () => uploadDialog() }), button(t('tasks.create'), { onClick: () => navigate('create') }))))));
      return;
    }
    const focusedOp = document.activeElement?.closest?.('tr.task-row') ? { id: document.activeElement.closest('tr').dataset.taskId, op: document.activeElement.dataset.op } : null;
    const seen = new Set();
    const nodes = [];
    for (const task of state.tasks) {
      seen.add(task.task_id);
      let entry = state.rows.get(task.task_id);
      const key = JSON.stringify(task);
      if (!entry) { entry = { task, key: '', row: null, detailRow: null, detail: null }; state.rows.set(task.task_id, entry); }
      if (entry.key !== key || !entry.row) {
        entry.task = task; entry.key = key;
        const fresh = taskRow(task, entry);
        entry.row?.replaceWith(fresh);
        entry.row = fresh;
      }
      nodes.push(entry.row);
      if (state.expanded.has(task.task_id)) {
        if (!entry.detailRow) {
          entry.detail = new TaskDetail(task.task_id, { onChanged: () => load({ quiet: true }) });
          entry.detailRow = h('tr', { class: 'detail-row', id: `detail-${cssId(task.task_id)}`, 'data-testid': 'task-detail-row' },
            h('td', { colspan: '6' }, entry.detail.el));
          entry.detail.refresh();
        }
        nodes.push(entry.detailRow);
      }
    }
    for (const id of [...state.rows.keys()]) if (!seen.has(id)) state.rows.delete(id);
    // Re-order without recreating nodes (keeps focus and players alive).
    nodes.forEach((node, i) => { if (tbody.children[i] !== node) tbody.insertBefore(node, tbody.children[i] || null); });
    while (tbody.children.length > nodes.length) tbody.lastChild.remove();
    if (focusedOp?.op) state.rows.get(focusedOp.id)?.row?.querySelector(`[data-op="${focusedOp.op}"]`)?.focus();
  }

  function taskRow(task, entry) {
    const expanded = state.expanded.has(task.task_id);
    const detailId = `detail-${cssId(task.task_id)}`;
    const finished = task.status === 'FINISH';
    // Short visible labels keep the operations on one line; the accessible name stays the full one.
    const op = (label, name, opts) => {
      const b = button(t(`op.short.${name}`, {}, label), { kind: 'link', small: true, testid: `op-${name}`, 'aria-label': label, title: opts.disabledReason ? undefined : label, ...opts });
      b.dataset.op = name;
      return b;
    };
    const toggle = op(expanded ? t('op.collapse') : t('op.expand'), 'expand', {
      'aria-expanded': String(expanded), 'aria-controls': detailId,
      onClick: () => {
        if (state.expanded.has(task.task_id)) {
          state.expanded.delete(task.task_id);
          entry.detailRow?.remove(); entry.detailRow = null; entry.detail?.dispose(); entry.detail = null;
        } else state.expanded.add(task.task_id);
        entry.key = ''; renderRows(); schedule();
        state.rows.get(task.task_id)?.row?.querySelector('[data-op="expand"]')?.focus();
      },
    });
    const restart = op(t('op.restart'), 'restart', {
      disabledReason: finished ? null : t('op.restartDisabled'),
      onClick: async () => {
        const ok = await confirmDialog({ title: t('op.restartTitle'), message: t('op.restartConfirm', { id: task.task_id, n: subtaskTotal(task) }), confirmLabel: t('op.restart') });
        if (ok) await operate(task, 'restart', t('op.restarted'));
      },
    });
    const terminate = op(t('op.terminate'), 'terminate', {
      disabledReason: task.status === 'WAITING' ? null : t('op.terminateDisabled'),
      onClick: async () => {
        const ok = await confirmDialog({ title: t('op.terminateTitle'), message: t('op.terminateConfirm', { id: task.task_id }), confirmLabel: t('op.terminate'), danger: true });
        if (ok) await operate(task, 'terminate', t('op.terminated'));
      },
    });
    const play = op(t('op.playSource'), 'play-source', { onClick: () => playSource(task) });
    const ops = [toggle, restart, terminate, play];
    if (task.has_failed && !isTerminated(task)) {
      ops.push(op(t('op.retryFailed'), 'retry-failed', {
        disabledReason: finished ? null : t('op.retryDisabled'),
        onClick: async () => {
          const ok = await confirmDialog({ title: t('op.retryTitle'), message: t('op.retryConfirm', { id: task.task_id, n: task.subtask_counts?.fail || 0 }), confirmLabel: t('op.retryFailed') });
          if (ok) await operate(task, 'retry-failed', t('op.retried'));
        },
      }));
    }
    const c = task.subtask_counts || {};
    const done = (c.success || 0) + (c.fail || 0);
    const total = subtaskTotal(task);
    return h('tr', { class: `task-row${state.highlight === task.task_id ? ' highlight' : ''}`, 'data-testid': 'task-row', 'data-task-id': task.task_id, 'data-status': task.status, 'data-attempt': String(task.attempt) },
      h('td', { class: 'cell-id', 'data-label': t('tasks.col.id') },
        h('div', { class: 'id-line' },
          compactId(task.task_id),
          h('button', { type: 'button', class: 'icon-btn copy', 'aria-label': t('common.copyId'), title: t('common.copyId'), onclick: () => copyText(task.task_id) }, icon('copy')))),
      h('td', { class: 'cell-input', 'data-label': t('tasks.col.input') }, h('div', { class: 'input-line' },
        h('span', { class: 'input-key', title: `${task.input?.bucket}/${task.input?.key}` }, task.input?.key || ''),
        task.origin ? h('span', { class: 'origin-tag' }, t(`origin.${task.origin}`, {}, task.origin)) : null)),
      h('td', { class: 'cell-status', 'data-label': t('tasks.col.status') },
        h('div', { class: 'badges' }, taskStatusBadge(task.status),
          isTerminated(task) ? h('span', { class: 'badge badge-terminated', 'data-testid': 'terminated-badge', title: serverText(task.message_code || task.err_code, task.message, task.message_params) }, t('task.terminated')) : failureBadge(task),
          total && task.status !== 'FINISH' ? h('span', { class: 'muted small' }, t('task.progress', { done, total })) : null)),
      h('td', { class: 'cell-time', 'data-label': t('tasks.col.created') }, startedCell(task)),
      h('td', { class: 'cell-time', 'data-label': t('tasks.col.finished') }, fmtTime(task.finish_time)),
      h('td', { class: 'cell-ops', 'data-label': t('tasks.col.ops') }, h('div', { class: 'ops' }, ops)));
  }

  async function operate(task, action, doneMessage) {
    try {
      const updated = await post(`api/v1/tasks/${encodeURIComponent(task.task_id)}/${action}`);
      toast(doneMessage, 'success');
      if (updated && updated.task_id === task.task_id) {
        const summary = { ...updated };
        delete summary.subtasks; delete summary.history; // the list shows summaries only
        state.tasks = state.tasks.map((x) => (x.task_id === task.task_id ? { ...x, ...summary } : x));
        renderRows();
      }
      const entry = state.rows.get(task.task_id);
      if (entry?.detail) entry.detail.refresh();
    } catch (err) { toastError(err); }
    await load({ quiet: true });
  }

  async function playSource(task) {
    try {
      const src = await get(`api/v1/tasks/${encodeURIComponent(task.task_id)}/source`);
      playerDialog({ title: t('player.sourceTitle'), subtitle: `${task.input?.bucket}/${task.input?.key}`, items: [{ url: src.url, name: task.input?.key?.split('/').pop() || 'source', content_type: src.content_type }], testid: 'source-player' });
    } catch (err) { toastError(err); }
  }

  load();
  return () => {
    state.disposed = true;
    clearTimeout(state.timer);
    for (const entry of state.rows.values()) entry.detail?.dispose();
  };
}

function subtaskTotal(task) {
  const c = task.subtask_counts || {};
  return (c.waiting || 0) + (c.processing || 0) + (c.success || 0) + (c.fail || 0);
}

function cssId(id) { return String(id).replace(/[^A-Za-z0-9_-]/g, '_'); }

// A restarted task's row shows when this run started (the detail view does too), marked as such:
// "created 21:21, finished 21:29" would read as an 8-minute run when the last run took one.
function startedCell(task) {
  const created = h('time', { dateTime: task.create_time || '', 'data-testid': 'row-time' }, fmtTime(task.create_time));
  if (!(Number(task.attempt) > 0)) return created;
  const started = task.begin_process_time || (task.history || []).at(-1)?.at || null;
  const run = Number(task.attempt) + 1;
  return h('span', { class: 'run-start', title: t('tasks.runStartedTitle', { n: run, started: fmtTime(started), created: fmtTime(task.create_time) }) },
    h('span', { class: 'run-pill', 'data-testid': 'row-run' }, t('tasks.run', { n: run })),
    h('time', { dateTime: started || '', 'data-testid': 'row-time' }, fmtTime(started)));
}
