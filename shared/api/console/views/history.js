// A task's earlier runs as a table a person reads: which run, when it started and ended, how its
// subtasks came out, and what was done next (restart or retry of the failed ones).
import { t, serverText } from '../i18n.js';
import { h, fmtTime } from '../ui.js';
import { typeName } from './common.js';

function outcome(run) {
  const subs = Array.isArray(run.subtasks) ? run.subtasks : [];
  const ok = subs.filter((s) => s.status === 'SUCCESS').length;
  const failed = subs.filter((s) => s.status === 'FAIL');
  const lines = [h('div', {}, t('hist.outcome', { ok, fail: failed.length }))];
  for (const s of failed) {
    lines.push(h('div', { class: 'muted small', title: s.err_code || '' },
      `${s.index}. ${typeName(s.type)}: ${serverText(s.err_code, s.message, {})}`));
  }
  return lines;
}

export function historyTable(history) {
  return h('table', { class: 'table compact history-table', 'data-testid': 'history-table' },
    h('thead', {}, h('tr', {}, ['hist.run', 'hist.started', 'hist.finished', 'hist.outcome.col', 'hist.then'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, history.map((run) => h('tr', {},
      h('td', {}, t('hist.runN', { n: (Number(run.attempt) || 0) + 1 })),
      h('td', { class: 'nowrap' }, fmtTime(run.begin_process_time)),
      h('td', { class: 'nowrap' }, fmtTime(run.finish_time)),
      h('td', {}, outcome(run)),
      h('td', {}, t(`hist.op.${run.op}`, { at: fmtTime(run.at) }, `${run.op || ''} ${fmtTime(run.at)}`))))));
}
