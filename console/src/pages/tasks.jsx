// The Task API: the user's tasks with filters, sorting and pages; create, edit, complete and delete.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Badge, Empty, Field, Loading, PageHeader, Pager, ProblemBanner, Section, TableWrap, Time, useSubmit } from '../ui.jsx';

const STATUSES = ['todo', 'in_progress', 'done'];
const PRIORITIES = ['low', 'medium', 'high'];
const PER_PAGE = 20;

// A datetime-local value (the reader's zone) as RFC 3339 UTC, and back.
const toIso = (local) => (local ? new Date(local).toISOString() : null);
function toLocal(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function TaskForm({ task, onSaved, onCancel }) {
  // An editor opened on a row takes the focus (the Edit button it replaced is gone).
  const element = useRef(null);
  useEffect(() => {
    if (task) element.current?.querySelector('input')?.focus();
  }, []);
  const form = useSubmit(async (values, element) => {
    const body = {
      title: values.title,
      description: values.description,
      priority: values.priority,
      due_at: toIso(values.due_at),
      ...(task ? { status: values.status } : {}),
    };
    const saved = task
      ? await api('PATCH', `/api/v1/tasks/${encodeURIComponent(task.id)}`, { body })
      : await api('POST', '/api/v1/tasks', { body });
    if (!task) element.reset();
    onSaved(saved);
  });
  const error = (name) => form.problem?.field?.(name);
  return (
    <form ref={element} onSubmit={form.onSubmit} noValidate aria-label={task ? `Edit ${task.title}` : 'New task'}>
      <div class="grid">
        <Field label="Title" name="title" required maxLength={200} defaultValue={task?.title} error={error('title')} />
        <Field label="Priority" name="priority" as="select" defaultValue={task?.priority ?? 'medium'} error={error('priority')}>
          {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
        </Field>
        {task && (
          <Field label="Status" name="status" as="select" defaultValue={task.status} error={error('status')}>
            {STATUSES.map((s) => <option key={s} value={s}>{s.replace('_', ' ')}</option>)}
          </Field>
        )}
        <Field label="Due" name="due_at" type="datetime-local" defaultValue={toLocal(task?.due_at)} error={error('due_at')} />
      </div>
      <Field label="Description" name="description" as="textarea" maxLength={10000} defaultValue={task?.description}
             error={error('description')} />
      <ProblemBanner problem={form.problem} shown={['title', 'priority', 'status', 'due_at', 'description']} />
      <div class="row">
        <button class="primary" disabled={form.busy}>{task ? 'Save' : 'Add the task'}</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}

export default function Tasks({ route }) {
  const filters = {
    status: route.query.status ?? '',
    priority: route.query.priority ?? '',
    sort: route.query.sort ?? 'created_at',
    order: route.query.order ?? 'desc',
    page: Number(route.query.page ?? 1),
  };
  const list = useResource(
    () => api('GET', '/api/v1/tasks' + query({ ...filters, per_page: PER_PAGE })),
    [filters.status, filters.priority, filters.sort, filters.order, filters.page]);
  const [editing, setEditing] = useState(null);
  // Closing an editor gives the focus back to its row's Edit button.
  const closeEditor = (title) => {
    setEditing(null);
    requestAnimationFrame(() => document.querySelector(`[aria-label="Edit ${CSS.escape(title)}"]`)?.focus());
  };
  const [problem, setProblem] = useState(null);
  const setFilter = (name, value) => navigate('/tasks', { ...filters, [name]: value, page: name === 'page' ? value : 1 });

  const act = async (work) => {
    setProblem(null);
    try {
      await work();
      list.reload();
    } catch (error) {
      setProblem(error);
    }
  };
  const complete = (task) => act(() => api('PATCH', `/api/v1/tasks/${encodeURIComponent(task.id)}`, { body: { status: 'done' } }));
  const remove = (task) => {
    if (confirm(`Delete "${task.title}"?`)) act(() => api('DELETE', `/api/v1/tasks/${encodeURIComponent(task.id)}`));
  };

  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader title="Tasks" />
      <Section title="New task">
        <TaskForm onSaved={() => list.reload()} />
      </Section>
      <Section aria-label="Your tasks">
        <div class="row" role="group" aria-label="Filters">
          <Field label="Status" as="select" value={filters.status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s.replace('_', ' ')}</option>)}
          </Field>
          <Field label="Priority" as="select" value={filters.priority} onChange={(e) => setFilter('priority', e.currentTarget.value)}>
            <option value="">any</option>
            {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
          </Field>
          <Field label="Sort by" as="select" value={filters.sort} onChange={(e) => setFilter('sort', e.currentTarget.value)}>
            <option value="created_at">created</option>
            <option value="due_at">due</option>
            <option value="priority">priority</option>
          </Field>
          <Field label="Order" as="select" value={filters.order} onChange={(e) => setFilter('order', e.currentTarget.value)}>
            <option value="desc">descending</option>
            <option value="asc">ascending</option>
          </Field>
        </div>
        <ProblemBanner problem={problem ?? list.error} />
        {list.loading && !list.data ? (
          <Loading what="tasks" />
        ) : items.length === 0 ? (
          <Empty>No tasks match.</Empty>
        ) : (
          <TableWrap label="Your tasks">
            <table>
              <thead>
                <tr><th>Title</th><th>Status</th><th>Priority</th><th>Due</th><th class="wide-only">Created</th><th><span class="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {items.map((task) =>
                  editing === task.id ? (
                    <tr key={task.id}>
                      <td colSpan={6}>
                        <TaskForm task={task} onSaved={async (saved) => { await list.reload(); closeEditor(saved.title); }}
                                  onCancel={() => closeEditor(task.title)} />
                      </td>
                    </tr>
                  ) : (
                    <tr key={task.id} data-task={task.title}>
                      <td>
                        <strong>{task.title}</strong>
                        {task.description && <div class="muted">{task.description}</div>}
                      </td>
                      <td><Badge value={task.status} /></td>
                      <td>{task.priority}</td>
                      <td><Time iso={task.due_at} /></td>
                      <td class="wide-only"><Time iso={task.created_at} /></td>
                      <td>
                        <div class="row actions">
                        {task.status !== 'done' && <button type="button" aria-label={`Complete ${task.title}`} onClick={() => complete(task)}>Complete</button>}
                        <button type="button" aria-label={`Edit ${task.title}`} onClick={() => setEditing(task.id)}>Edit</button>
                        <button type="button" class="danger" aria-label={`Delete ${task.title}`} onClick={() => remove(task)}>Delete</button>
                        </div>
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {list.data && <Pager page={filters.page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => setFilter('page', p)} />}
      </Section>
    </>
  );
}
