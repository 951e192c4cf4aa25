// The jobs of every queue, newest first, filtered by queue, state and kind: retry and cancel them, and open one
// to follow its progress as it happens (its event stream) with its arguments, result and each failed attempt.
import { useEffect, useState } from 'preact/hooks';
import { api, events, query } from '../api.js';
import { useResource } from '../hooks.js';
import { navigate } from '../router.js';
import { Badge, Empty, Field, Loading, Pager, ProblemBanner, Section, TableWrap, Time } from '../ui.jsx';
import { Outcome, useActions, useLive } from './operations-parts.jsx';

const STATES = ['available', 'scheduled', 'running', 'retryable', 'completed', 'discarded', 'cancelled'];
const FINISHED = new Set(['completed', 'discarded', 'cancelled']);
const PER_PAGE = 20;
const REFRESH_MS = 3000;

// Retry runs a finished or waiting job again now; an available one is about to run anyway, a running one must
// be cancelled first.
const canRetry = (job) => job.state !== 'running' && job.state !== 'available';
const canCancel = (job) => !FINISHED.has(job.state);
const jobName = (job) => `job ${job.id} (${job.kind})`;

// The job as its event stream tells it while it is unfinished, else as the list has it.
function useStreamedJob(listed) {
  const [streamed, setStreamed] = useState(null);
  const unfinished = !FINISHED.has(listed.state);
  useEffect(() => {
    if (!unfinished) return undefined;
    const stop = new AbortController();
    events(`/api/v1/jobs/${listed.id}/events`, (event) => setStreamed(event.data), stop.signal).catch(() => {
      // The list's polling still shows the job; a stream cut short (a restart) needs no banner.
    });
    return () => stop.abort();
  }, [listed.id, unfinished]);
  return streamed && streamed.updated_at >= listed.updated_at ? streamed : listed;
}

function Json({ value }) {
  return <pre class="mono" style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{JSON.stringify(value, null, 2)}</pre>;
}

function JobDetails({ listed }) {
  const job = useStreamedJob(listed);
  const facts = [
    ['Priority', job.priority],
    ['Worker', job.worker ?? '—'],
    ['Unique key', job.unique_key ?? '—'],
    ['Created', <Time iso={job.created_at} />],
    ['Runs at', <Time iso={job.run_at} />],
    ['Started', <Time iso={job.started_at} />],
    ['Finished', <Time iso={job.finished_at} />],
    ['Lease expires', <Time iso={job.lease_expires_at} />],
  ];
  return (
    <div data-testid="job-details">
      <h3 style={{ marginTop: 0 }}>Job {job.id} <Badge value={job.state} /></h3>
      <dl class="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(160px, 1fr))', gap: '0.5rem' }}>
        {facts.map(([label, value]) => (
          <div key={label}><dt class="muted">{label}</dt><dd>{value}</dd></div>
        ))}
      </dl>
      {(job.state === 'running' || job.progress.percent > 0) && (
        <label>
          Progress {job.progress.percent} %{job.progress.message && ` — ${job.progress.message}`}
          <progress max={100} value={job.progress.percent} />
        </label>
      )}
      <div class="grid">
        <div><h4>Arguments</h4><Json value={job.args} /></div>
        <div><h4>Result</h4>{job.result == null ? <span class="muted">none</span> : <Json value={job.result} />}</div>
      </div>
      <h4>Failed attempts</h4>
      {job.errors.length === 0 ? (
        <span class="muted">none</span>
      ) : (
        <ol style={{ paddingLeft: '1.25rem' }}>
          {job.errors.map((e) => (
            <li key={e.attempt} value={e.attempt}>
              <Time iso={e.at} />: {e.error} {e.worker && <span class="muted">on {e.worker}</span>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function JobRow({ job, open, onToggle, actions }) {
  const lastError = job.errors.at(-1)?.error;
  const detailsId = `job-${job.id}-details`;
  return (
    <>
      <tr data-job={job.id}>
        <td>
          <strong>#{job.id}</strong> <code>{job.kind}</code>
          <div class="muted">{job.queue}</div>
        </td>
        <td>
          <Badge value={job.state} />
          <div class="muted">
            attempt {job.attempt} of {job.max_attempts}{job.state === 'running' && `, ${job.progress.percent} %`}
          </div>
        </td>
        <td class="muted" style={{ minWidth: '10rem', maxWidth: '18rem', overflowWrap: 'anywhere' }}>{lastError ?? '—'}</td>
        <td>
          {FINISHED.has(job.state) ? <>finished <Time iso={job.finished_at} /></>
            : job.state === 'running' ? <>started <Time iso={job.started_at} /></>
            : <>runs <Time iso={job.run_at} /></>}
        </td>
        <td>
          <div class="row" style={{ gap: '0.4rem', flexWrap: 'nowrap' }}>
            <button type="button" aria-expanded={open} aria-controls={open ? detailsId : undefined}
                    aria-label={`Details of ${jobName(job)}`} onClick={onToggle}>
              Details
            </button>
            {canRetry(job) && (
              <button type="button" aria-label={`Retry ${jobName(job)}`} disabled={actions.busy !== null}
                      onClick={() => actions.run(job.id, async () => {
                        await api('POST', `/api/v1/admin/jobs/${job.id}/retry`);
                        return `Job ${job.id} will run again.`;
                      })}>
                Retry
              </button>
            )}
            {canCancel(job) && (
              <button type="button" class="danger" aria-label={`Cancel ${jobName(job)}`} disabled={actions.busy !== null}
                      onClick={() => confirm(`Cancel job ${job.id} (${job.kind})?`) && actions.run(job.id, async () => {
                        await api('POST', `/api/v1/admin/jobs/${job.id}/cancel`);
                        return `Job ${job.id} is cancelled.`;
                      })}>
                Cancel
              </button>
            )}
          </div>
        </td>
      </tr>
      {open && (
        <tr id={detailsId}>
          <td colSpan={5} style={{ background: 'var(--bg)' }}><JobDetails listed={job} /></td>
        </tr>
      )}
    </>
  );
}

function Filters({ filters, queues, onChange }) {
  const applyKind = (event) => {
    event.preventDefault();
    onChange('kind', new FormData(event.currentTarget).get('kind').trim());
  };
  return (
    <form class="row" role="search" aria-label="Filter jobs" onSubmit={applyKind}>
      <Field label="Queue" as="select" value={filters.queue} onChange={(e) => onChange('queue', e.currentTarget.value)}>
        <option value="">any</option>
        {queues.map((name) => <option key={name} value={name}>{name}</option>)}
      </Field>
      <Field label="State" as="select" value={filters.state} onChange={(e) => onChange('state', e.currentTarget.value)}>
        <option value="">any</option>
        {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
      </Field>
      <Field label="Kind" name="kind" key={filters.kind} defaultValue={filters.kind} placeholder="e.g. mail.send" />
      <div class="field"><button>Apply</button></div>
    </form>
  );
}

export default function Jobs({ route }) {
  const filters = {
    queue: route.query.queue ?? '',
    state: route.query.state ?? '',
    kind: route.query.kind ?? '',
    page: Number(route.query.page ?? 1),
  };
  const list = useResource(
    () => api('GET', '/api/v1/admin/jobs' + query({ ...filters, per_page: PER_PAGE })),
    [filters.queue, filters.state, filters.kind, filters.page]);
  const queues = useResource(() => api('GET', '/api/v1/admin/queues'), []);
  const actions = useActions(list.reload);
  const live = useLive(list.reload, REFRESH_MS);
  // One job open at a time: each open unfinished job holds an event stream (a connection) open.
  const [open, setOpen] = useState(null);
  const setFilter = (name, value) =>
    navigate('/operations/jobs', { ...filters, [name]: value, page: name === 'page' ? value : 1 });

  const queueNames = queues.data?.queues.map((q) => q.name) ?? [];
  if (filters.queue && !queueNames.includes(filters.queue)) queueNames.push(filters.queue);
  const items = list.data?.items ?? [];
  return (
    <Section aria-labelledby="jobs-title">
      <div class="section-head">
        <h2 id="jobs-title">Jobs</h2>
        {live}
      </div>
      <Filters filters={filters} queues={queueNames} onChange={setFilter} />
      <ProblemBanner problem={list.error} />
      <Outcome outcome={actions.outcome} />
      {list.loading && !list.data ? (
        <Loading what="jobs" />
      ) : items.length === 0 ? (
        <Empty>No jobs match.</Empty>
      ) : (
        <TableWrap label="Jobs">
          <table style={{ minWidth: '46rem' }}>
            <thead>
              <tr>
                <th>Job</th><th>State</th><th>Last error</th><th>When</th>
                <th><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((job) => (
                <JobRow key={job.id} job={job} open={open === job.id} actions={actions}
                        onToggle={() => setOpen(open === job.id ? null : job.id)} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {list.data && <Pager page={filters.page} perPage={PER_PAGE} total={list.data.total} onPage={(p) => setFilter('page', p)} />}
    </Section>
  );
}
