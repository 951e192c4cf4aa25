// An app's exports: started here (POST …/exports), followed through their job's events to ready, then
// downloaded. The download needs the Authorization header, so it is fetched into a Blob and saved from an
// object URL. Keel has no list of exports, so the ones started in this browser are remembered in localStorage.
import { useEffect, useState } from 'preact/hooks';
import { api, download, events, problemOf, request } from '../api.js';
import { Badge, bytes, Empty, Field, ProblemBanner, Section, TableWrap, Time, useSubmit } from '../ui.jsx';
import { appBase, count } from './validation-parts.jsx';

const REMEMBERED = 10;
const POLL_MS = 1000;
const storageKey = (appId) => `keel.validation.exports.${appId}`;

function remembered(appId) {
  try {
    return JSON.parse(localStorage.getItem(storageKey(appId))) ?? [];
  } catch {
    return [];
  }
}

function remember(appId, ids) {
  localStorage.setItem(storageKey(appId), JSON.stringify(ids.slice(0, REMEMBERED)));
}

// A datetime-local value (the reader's zone) as RFC 3339 UTC; undefined when empty.
const toIso = (local) => (local ? new Date(local).toISOString() : undefined);

// Follows a running export until it is ready or failed: its job's events give the progress; the export is read
// again when the job ends (or every POLL_MS, should the job's stream be unavailable).
function useExport(initial, onChange) {
  const [progress, setProgress] = useState(null);
  useEffect(() => {
    if (initial.state !== 'running') return;
    const stop = new AbortController();
    const refresh = async () => {
      const current = await api('GET', `/api/v1/exports/${encodeURIComponent(initial.id)}`);
      onChange(current);
      return current.state !== 'running';
    };
    (async () => {
      try {
        if (initial.job_id != null) {
          // Its own signal, to stop reading at `end` should the stream stay open.
          const job = new AbortController();
          stop.signal.addEventListener('abort', () => job.abort(), { once: true });
          await events(`/api/v1/jobs/${initial.job_id}/events`, ({ event, data }) => {
            if (event === 'update' && data?.progress) setProgress(data.progress);
            if (event === 'end') job.abort();
          }, job.signal);
        }
        while (!stop.signal.aborted && !(await refresh())) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      } catch (error) {
        if (error.name !== 'AbortError') onChange({ ...initial, state: 'failed', problem: error });
      }
    })();
    return () => stop.abort();
  }, [initial.id, initial.state]);
  return progress;
}

function ExportRow({ item, onChange }) {
  const progress = useExport(item, onChange);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(item.problem ?? null);
  const save = async () => {
    setBusy(true);
    setProblem(null);
    try {
      await download(item.download, `export.${item.format}`);
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };
  const range = `${item.since ? new Date(item.since).toLocaleString() : 'the first event'} to ${new Date(item.until).toLocaleString()}`;
  return (
    <tr data-export={item.id} data-state={item.state}>
      <td><Time iso={item.created_at} /></td>
      <td>{item.format.toUpperCase()}</td>
      <td>{range}</td>
      <td>
        <Badge value={item.state} />
        {item.state === 'running' && (
          <div>
            <progress max={100} value={progress?.percent ?? 0} aria-label={`Export ${item.id} progress`} />
            {progress?.message && <div class="muted">{progress.message}</div>}
          </div>
        )}
        {problem && <ProblemBanner problem={problem} />}
      </td>
      <td class="num">{item.state === 'ready' ? count(item.events) : '—'}</td>
      <td class="num">{item.state === 'ready' ? bytes(item.bytes) : '—'}</td>
      <td>
        {item.state === 'ready' && (
          <button type="button" disabled={busy} onClick={save}
                  aria-label={`Download the ${item.format.toUpperCase()} export of ${new Date(item.created_at).toLocaleString()}`}>
            {busy ? 'Downloading…' : 'Download'}
          </button>
        )}
      </td>
    </tr>
  );
}

export function ExportsView({ app }) {
  const [items, setItems] = useState([]);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    let gone = false;
    (async () => {
      const found = [];
      for (const id of remembered(app.id)) {
        const response = await request('GET', `/api/v1/exports/${encodeURIComponent(id)}`);
        if (response.ok) found.push(await response.json());
        else if (response.status !== 404) setProblem(await problemOf(response));
      }
      if (gone) return;
      setItems(found);
      remember(app.id, found.map((x) => x.id));  // expired ones (404) are forgotten
    })();
    return () => { gone = true; };
  }, [app.id]);

  const start = useSubmit(async (values) => {
    const body = { format: values.format, since: toIso(values.since), until: toIso(values.until) };
    const started = await api('POST', `${appBase(app.id)}/exports`, { body });
    setItems((all) => {
      const next = [started, ...all];
      remember(app.id, next.map((x) => x.id));
      return next;
    });
  });
  const replace = (changed) => setItems((all) => all.map((x) => (x.id === changed.id ? changed : x)));
  const error = (name) => start.problem?.field?.(name);

  return (
    <>
      <Section title="New export">
        <p class="muted" style={{ marginTop: 0 }}>
          The app's stored events that arrived in a time range, oldest first, as CSV or NDJSON. Leave the range empty for all
          of them. Exports are kept for 7 days.
        </p>
        <form class="row" onSubmit={start.onSubmit} noValidate aria-label="New export">
          <Field label="Format" name="format" as="select" defaultValue="csv" error={error('format')}>
            <option value="csv">CSV</option>
            <option value="ndjson">NDJSON</option>
          </Field>
          <Field label="From (optional)" name="since" type="datetime-local" error={error('since')} />
          <Field label="Until (optional)" name="until" type="datetime-local" error={error('until')} />
          <div class="field">
            <button class="primary" disabled={start.busy}>Start the export</button>
          </div>
        </form>
        <ProblemBanner problem={start.problem} shown={['format', 'since', 'until']} />
      </Section>
      <Section title="Exports">
        <ProblemBanner problem={problem} />
        {items.length === 0 ? (
          <Empty>No exports from this browser yet.</Empty>
        ) : (
          <TableWrap label="Exports"><table>
            <thead>
              <tr>
                <th>Started</th><th>Format</th><th>Events that arrived from</th><th>State</th><th class="num">Events</th>
                <th class="num">Size</th><th><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => <ExportRow key={item.id} item={item} onChange={replace} />)}
            </tbody>
          </table></TableWrap>
        )}
      </Section>
    </>
  );
}
