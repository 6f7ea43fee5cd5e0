// Upload a file from the task list: it lands under the upload prefix, the matching workflows
// create a task, and the console opens it.
import { t } from '../i18n.js';
import { get, post, describeError, uploadTo } from '../api.js';
import { h, clear, button, field, openDialog, toast, progressBar } from '../ui.js';
import { navigate, config } from '../router.js';

export async function uploadDialog() {
  const cfg = await config().catch(() => ({ input_bucket: '', upload_prefix: 'input/' }));
  const fileInput = h('input', { type: 'file', accept: 'video/*,audio/*,.mkv,.ts,.flv', 'data-testid': 'upload-file' });
  const status = h('div', { class: 'upload-status', 'aria-live': 'polite', 'data-testid': 'upload-status' });
  const progress = h('div', { class: 'upload-progress' });
  let upload = null;
  const startBtn = button(t('upload.start'), { kind: 'primary', testid: 'upload-start', onClick: () => start() });
  const dlg = openDialog({
    title: t('upload.title'), testid: 'upload-dialog',
    content: h('div', { class: 'form' },
      h('p', { class: 'muted' }, t('upload.help', { bucket: cfg.input_bucket, prefix: cfg.upload_prefix || 'input/' })),
      field(t('upload.file'), fileInput, { required: true }), progress, status),
    actions: (d) => [button(t('common.close'), { onClick: () => d.close() }), startBtn],
    onClose: () => upload?.abort(),
  });

  async function start() {
    const file = fileInput.files[0];
    if (!file) { clear(status, h('span', { class: 'form-error' }, t('upload.pickFile'))); fileInput.focus(); return; }
    startBtn.disabled = true; fileInput.disabled = true;
    try {
      const ticket = await post('api/v1/uploads', { filename: file.name });
      // The key is known before a byte is sent, so the dry run says at once whether a task will start.
      const matched = await post('api/v1/workflows/match', { bucket: ticket.bucket, key: ticket.key })
        .then((m) => (m.matches || []).length > 0).catch(() => true);
      clear(status, matched ? t('upload.uploading', { key: ticket.key })
        : h('span', { 'data-testid': 'upload-no-workflow' }, t('upload.noWorkflow', { name: file.name })));
      upload = uploadTo(ticket.upload_url, ticket.method, file, (loaded, total) => {
        clear(progress, progressBar(Math.floor((loaded / total) * 100), t('upload.progress')));
      });
      await upload.promise;
      upload = null;
      if (matched) clear(status, h('span', {}, t('upload.waitingTask', { key: ticket.key })));
      const task = matched ? await findTaskFor(ticket.key, () => !dlg.el.isConnected) : null;
      if (!dlg.el.isConnected) return;
      if (task) {
        toast(t('upload.taskCreated', { id: task.task_id }), 'success');
        dlg.close();
        navigate('tasks', { expand: task.task_id });
      } else {
        clear(status, h('div', {}, h('p', {}, matched ? t('upload.noTask') : t('upload.noWorkflow', { name: file.name })),
          button(t('upload.createManually'), { kind: 'primary', onClick: () => { dlg.close(); navigate('create', { bucket: ticket.bucket, key: ticket.key }); } })));
      }
    } catch (err) {
      clear(status, h('span', { class: 'form-error', role: 'alert' }, describeError(err)));
      startBtn.disabled = false; fileInput.disabled = false;
    }
  }
}

/** The task the upload workflows created for `key` (polls for up to ~20 s), or null. */
async function findTaskFor(key, cancelled) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && !cancelled()) {
    try {
      const data = await get('api/v1/tasks', { input_prefix: key, limit: 20 });
      const hit = (data.tasks || []).find((x) => x.input?.key === key);
      if (hit) return hit;
    } catch { /* keep polling */ }
    await new Promise((r) => setTimeout(r, 700));
  }
  return null;
}
