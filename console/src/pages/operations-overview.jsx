// The operations overview: readiness, the key figures of /metrics, each queue's depth, oldest ready job and
// workers with a chart of the live jobs since the page opened, and the caches; all refreshed every few seconds.
import { useState } from 'preact/hooks';
import { api, problemOf, request } from '../api.js';
import { Chart } from '../chart.jsx';
import { useResource } from '../hooks.js';
import { Badge, bytes, Empty, Loading, ProblemBanner, Section, TableWrap } from '../ui.jsx';
import { count, duration, percent, useLive } from './operations-parts.jsx';

const REFRESH_MS = 5000;
// The live states a queue's depth counts, in the order a job goes through them.
export const DEPTH_STATES = ['available', 'scheduled', 'running', 'retryable'];
const DEPTH_COLOURS = { available: '#1f77b4', scheduled: '#9467bd', running: '#2ca02c', retryable: '#d62728' };
// Samples the chart keeps: ten minutes at one per refresh.
const HISTORY = 120;

// /ready answers 503 with the same checks when Keel is not ready: both are shown, not thrown.
async function readiness() {
  const response = await request('GET', '/ready');
  const body = await response.json();
  return response.ok ? body : { status: body.state ?? 'not_ready', checks: body.checks ?? {} };
}

// The JSON summary of /metrics, and which instance answered (behind a load balancer each has its own figures).
async function metrics() {
  const response = await request('GET', '/metrics');
  if (!response.ok) throw await problemOf(response);
  return { summary: await response.json(), instance: response.headers.get('X-Keel-Instance') };
}

function Health({ ready, metrics }) {
  const summary = metrics?.summary;
  const database = summary?.pools?.database;
  const latency = summary?.latency_seconds;
  const ms = (seconds) => (seconds == null ? '—' : `${(seconds * 1000).toFixed(1)} ms`);
  return (
    <div class="stats" data-testid="health">
      <div>
        <div class="label">Readiness</div>
        <div class="stat">{ready ? <Badge value={ready.status} /> : '—'}</div>
        {ready && (
          <ul class="muted" style={{ margin: 0, paddingLeft: '1.1rem', fontSize: '0.85rem' }}>
            {Object.entries(ready.checks).map(([name, outcome]) => <li key={name}>{name}: {outcome}</li>)}
          </ul>
        )}
      </div>
      <div>
        <div class="label">Requests per second</div>
        <div class="stat">{summary ? summary.requests.rate_per_second.toFixed(1) : '—'}</div>
        {summary && <div class="muted">over {duration(summary.requests.window_seconds)}, {count(summary.requests.total)} in all</div>}
      </div>
      <div>
        <div class="label">Server errors (5xx)</div>
        <div class="stat">{percent(summary?.requests.error_rate)}</div>
        {summary && <div class="muted">{count(summary.requests.errors_5xx)} since start</div>}
      </div>
      <div>
        <div class="label">Latency p50 / p95 / p99</div>
        <div class="stat" style={{ fontSize: '1.1rem' }}>{ms(latency?.p50)} / {ms(latency?.p95)} / {ms(latency?.p99)}</div>
      </div>
      <div>
        <div class="label">Cache hit ratio</div>
        <div class="stat">{percent(summary?.cache_hit_ratio)}</div>
      </div>
      <div>
        <div class="label">Database connections</div>
        <div class="stat">{database ? `${count(database.connections_in_use)} in use` : '—'}</div>
        {database && <div class="muted">{count(database.connections_idle)} idle, {count(database.waiters)} waiting</div>}
      </div>
    </div>
  );
}

function Workers({ workers }) {
  if (!workers) return <span class="muted">none here</span>;
  return <>{workers.busy} busy of {workers.total} <span class="muted">(at most {workers.max})</span></>;
}

function Queues({ queues }) {
  const jobsLink = (params) => '#/operations/jobs?' + new URLSearchParams(params);
  const process = queues.find((q) => q.workers)?.workers.process;
  return (
    <>
      <TableWrap label="Queues">
        <table style={{ minWidth: '40rem' }}>
          <thead>
            <tr>
              <th>Queue</th>
              {DEPTH_STATES.map((state) => <th key={state} class="num">{state}</th>)}
              <th class="num">Oldest available</th>
              <th>Workers</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((queue) => (
              <tr key={queue.name} data-queue={queue.name}>
                <td><a href={jobsLink({ queue: queue.name })}>{queue.name}</a></td>
                {DEPTH_STATES.map((state) => (
                  <td key={state} class="num">
                    {queue.depth[state] ? (
                      <a href={jobsLink({ queue: queue.name, state })} aria-label={`${queue.depth[state]} ${state} in ${queue.name}`}>
                        {queue.depth[state]}
                      </a>
                    ) : <span class="muted">0</span>}
                  </td>
                ))}
                <td class="num">{queue.depth.available ? duration(queue.oldest_available_age_s) : '—'}</td>
                <td style={{ whiteSpace: 'nowrap' }}><Workers workers={queue.workers} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      {process && <p class="muted">Workers of this process, <code>{process}</code>; other processes run their own.</p>}
    </>
  );
}

// The live jobs of every queue by state, one sample per refresh, as uPlot's columns.
function useDepthHistory() {
  const [samples, setSamples] = useState([]);
  const add = (queues) => {
    const sample = { at: Date.now() / 1000 };
    for (const state of DEPTH_STATES) sample[state] = queues.reduce((sum, q) => sum + (q.depth[state] ?? 0), 0);
    setSamples((all) => [...all.slice(-(HISTORY - 1)), sample]);
  };
  const data = [samples.map((s) => s.at), ...DEPTH_STATES.map((state) => samples.map((s) => s[state]))];
  return { add, data, length: samples.length };
}

function Caches({ caches }) {
  const entries = Object.entries(caches);
  if (entries.length === 0) return <Empty>No caches in this process.</Empty>;
  return (
    <TableWrap label="Caches">
      <table style={{ minWidth: '36rem' }}>
        <thead>
          <tr><th>Cache</th><th class="num">Hits</th><th class="num">Misses</th><th class="num">Hit ratio</th><th class="num">Entries</th><th class="num">Size</th><th class="num">Evictions</th></tr>
        </thead>
        <tbody>
          {entries.map(([name, cache]) => (
            <tr key={name}>
              <td>{name}</td>
              <td class="num">{count(cache.hits)}</td>
              <td class="num">{count(cache.misses)}</td>
              <td class="num">{percent(cache.hit_ratio)}</td>
              <td class="num">{count(cache.entries)}</td>
              <td class="num">{bytes(cache.bytes)}</td>
              <td class="num">{count(cache.evictions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export default function Overview() {
  const history = useDepthHistory();
  const ready = useResource(readiness, []);
  const summary = useResource(metrics, []);
  const queues = useResource(async () => {
    const answer = await api('GET', '/api/v1/admin/queues');
    history.add(answer.queues);
    return answer;
  }, []);
  const caches = useResource(() => api('GET', '/cache-stats'), []);
  const live = useLive(() => {
    ready.reload();
    summary.reload();
    queues.reload();
    caches.reload();
  }, REFRESH_MS);

  return (
    <>
      <Section aria-labelledby="health-title">
        <div class="section-head">
          <h2 id="health-title">Health</h2>
          {live}
        </div>
        <ProblemBanner problem={ready.error ?? summary.error} />
        <Health ready={ready.data} metrics={summary.data} />
        {summary.data?.instance && <p class="muted">Figures of instance <code>{summary.data.instance}</code>.</p>}
      </Section>
      <Section title="Queues">
        <ProblemBanner problem={queues.error} />
        {!queues.data ? <Loading what="queues" /> : queues.data.queues.length === 0 ? <Empty>No queues.</Empty> : <Queues queues={queues.data.queues} />}
        {history.length > 1 && (
          <Chart title="Live jobs since this page opened" height={200} data={history.data}
                 series={DEPTH_STATES.map((state) => ({ label: state, colour: DEPTH_COLOURS[state] }))} />
        )}
      </Section>
      <Section title="Caches">
        <ProblemBanner problem={caches.error} />
        {caches.data ? <Caches caches={caches.data.caches} /> : <Loading what="caches" />}
      </Section>
    </>
  );
}
