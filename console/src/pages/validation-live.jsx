// An app's live view: the stream of arriving events (GET …/live, Server-Sent Events) drives the per-second
// chart, the "right now" figures and the feed, and tells the dashboard (per-minute rollups) when to reload, so
// its totals, per-minute chart and violations follow the traffic.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, events } from '../api.js';
import { Chart } from '../chart.jsx';
import { useInterval, useResource } from '../hooks.js';
import { Empty, Field, Loading, ProblemBanner, Section, TableWrap } from '../ui.jsx';
import { appBase, count, percent, Properties, Stat, Verdict, Violations } from './validation-parts.jsx';

const WINDOWS = { '15m': '15 minutes', '1h': 'hour', '24h': '24 hours', '7d': '7 days' };
const SECONDS_SHOWN = 120;  // the per-second chart's span
const FEED_LENGTH = 100;
const RETRY_MS = [1000, 2000, 5000, 10000];
// The rollups are flushed once a second on each instance, so the dashboard is reloaded this long after a busy
// second (at most once per delay while traffic lasts), and once more when it has been quiet a while, in case an
// instance's flush came late.
const DASHBOARD_DELAY_MS = 1500;
const DASHBOARD_SETTLED_MS = 5000;
const COLOURS = { events: '#1f77b4', invalid: '#d62728', blocked: '#9467bd' };
const PER_SECOND_SERIES = [{ label: 'events', colour: COLOURS.events }, { label: 'invalid', colour: COLOURS.invalid },
                           { label: 'blocked', colour: COLOURS.blocked, dash: [4, 4] }];
const BUCKETS = { 1: 'minute', 60: 'hour' };

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

// Follows the app's live stream while the view is shown, reconnecting after a drop; `on.stats` and `on.log` get
// each event's data. Gives the connection's state: connecting, live, retrying, or the Problem that ended it.
function useLiveStream(appId, on) {
  const handlers = useRef(on);
  handlers.current = on;
  const [state, setState] = useState('connecting');
  useEffect(() => {
    const stop = new AbortController();
    (async () => {
      for (let attempt = 0; !stop.signal.aborted; attempt++) {
        try {
          await events(`${appBase(appId)}/live`, ({ event, data }) => {
            attempt = 0;
            setState('live');
            handlers.current[event]?.(data);
          }, stop.signal);
        } catch (error) {
          if (error.status >= 400 && error.status < 500) return setState(error);  // gone or not ours: no use retrying
        }
        if (stop.signal.aborted) return;
        setState('retrying');
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)], stop.signal);
      }
    })();
    return () => stop.abort();
  }, [appId]);
  return state;
}

function Connection({ state }) {
  if (typeof state !== 'string') return <span class="badge badge-failed">stopped</span>;
  const badge = { live: 'badge-ok', connecting: 'badge-queued', retrying: 'badge-retrying' }[state];
  const text = { live: 'connected', connecting: 'connecting…', retrying: 'reconnecting…' }[state];
  return <span class={`badge ${badge}`} data-testid="live-state">{text}</span>;
}

// The last SECONDS_SHOWN seconds of stats events, as uPlot data.
function perSecond(seconds) {
  const now = Math.floor(Date.now() / 1000);
  const recent = seconds.filter((s) => s.at > now - SECONDS_SHOWN);
  return [recent.map((s) => s.at), recent.map((s) => s.events), recent.map((s) => s.invalid), recent.map((s) => s.blocked)];
}

function Feed({ entries, paused }) {
  if (entries.length === 0) return <Empty>{paused ? 'Paused.' : 'Waiting for events…'}</Empty>;
  return (
    <ol class="feed" aria-label="Arriving events, newest first" tabIndex={0} data-testid="live-feed"
        style={{ listStyle: 'none', margin: 0, padding: 0 }}>
      {entries.map((e) => (
        <li key={e.key} data-feed-event={e.event} style={{ padding: '0.35rem 0', borderBottom: '1px solid var(--border)' }}>
          <div class="row" style={{ gap: '0.5rem', alignItems: 'baseline' }}>
            <time class="muted mono" dateTime={e.received_at}>{new Date(e.received_at).toLocaleTimeString()}</time>
            <strong>{e.event}</strong>
            <Verdict valid={e.valid} blocked={e.blocked} />
            {e.user_id && <span class="muted">user {e.user_id}</span>}
          </div>
          <Properties value={e.properties} />
          {e.violations.length > 0 && <Violations violations={e.violations} />}
        </li>
      ))}
    </ol>
  );
}

function ByEvent({ rows }) {
  if (rows.length === 0) return <Empty>No events in this window.</Empty>;
  return (
    <TableWrap label="Events by name"><table>
      <thead><tr><th>Event</th><th class="num">Events</th><th class="num">Invalid</th><th class="num">Share invalid</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.event}>
            <td><code>{r.event}</code></td><td class="num">{count(r.count)}</td>
            <td class="num">{count(r.invalid)}</td><td class="num">{percent(r.invalid, r.count)}</td>
          </tr>
        ))}
      </tbody>
    </table></TableWrap>
  );
}

function ByViolation({ rows }) {
  if (rows.length === 0) return <Empty>No violations in this window.</Empty>;
  return (
    <TableWrap label="Violations by event and path"><table>
      <thead><tr><th>Event</th><th>Path and rule</th><th class="num">Count</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.event} ${r.path} ${r.rule}`} data-violation={`${r.event} ${r.path}`}>
            <td><code>{r.event}</code></td>
            <td><code style={{ overflowWrap: 'anywhere' }}>{r.path}</code> <span class="badge">{r.rule}</span></td>
            <td class="num">{count(r.count)}</td>
          </tr>
        ))}
      </tbody>
    </table></TableWrap>
  );
}

export function LiveView({ app }) {
  const [span, setSpan] = useState('1h');
  const board = useResource(() => api('GET', `${appBase(app.id)}/dashboard?window=${span}`), [app.id, span]);
  useInterval(board.reload, 60000);  // the window slides even when nothing arrives
  const reloads = useRef({ soon: null, settled: null });
  const reloadBoard = useRef(board.reload);  // the current window's, when a timer fires
  reloadBoard.current = board.reload;
  useEffect(() => () => {
    clearTimeout(reloads.current.soon);
    clearTimeout(reloads.current.settled);
  }, []);

  const [seconds, setSeconds] = useState([]);
  const [seen, setSeen] = useState({ events: 0, invalid: 0, blocked: 0 });
  const [feed, setFeed] = useState([]);
  const [paused, setPaused] = useState(false);
  const feedKey = useRef(0);
  const state = useLiveStream(app.id, {
    stats(s) {
      const at = Math.floor(Date.now() / 1000) - 1;  // the counts are the second just ended
      setSeconds((all) => [...all.filter((x) => x.at > at - SECONDS_SHOWN), { at, ...s }]);
      if (s.events === 0) return;
      setSeen((total) => ({ events: total.events + s.events, invalid: total.invalid + s.invalid, blocked: total.blocked + s.blocked }));
      const timers = reloads.current;
      timers.soon ??= setTimeout(() => {
        timers.soon = null;
        reloadBoard.current();
      }, DASHBOARD_DELAY_MS);
      clearTimeout(timers.settled);
      timers.settled = setTimeout(() => reloadBoard.current(), DASHBOARD_SETTLED_MS);
    },
    log(entry) {
      if (!paused) setFeed((all) => [{ ...entry, key: ++feedKey.current }, ...all].slice(0, FEED_LENGTH));
    },
  });

  const live = useMemo(() => perSecond(seconds), [seconds]);
  const minutes = useMemo(() => {
    const series = board.data?.series ?? [];
    return [series.map((m) => Date.parse(m.minute) / 1000), series.map((m) => m.events), series.map((m) => m.invalid)];
  }, [board.data]);
  const now = Math.floor(Date.now() / 1000);
  const last = seconds[seconds.length - 1];
  const totals = board.data?.totals;
  const bucket = board.data?.bucket_minutes ?? 1;
  const few = span === '15m';  // points show on a short series, and clutter a long one

  return (
    <>
      <Section aria-labelledby="traffic-title">
        <div class="section-head">
          <h2 id="traffic-title">Traffic <Connection state={state} /></h2>
          <div style={{ minWidth: '10rem' }}>
            <Field label="Window" as="select" value={span} onChange={(e) => setSpan(e.currentTarget.value)}>
              {Object.entries(WINDOWS).map(([key, text]) => <option key={key} value={key}>last {text}</option>)}
            </Field>
          </div>
        </div>
        {typeof state !== 'string' && <ProblemBanner problem={state} />}
        <ProblemBanner problem={board.error} />
        <div class="stats">
          <Stat label={`Events (last ${WINDOWS[span]})`} value={count(totals?.events)} testId="total-events"
                note={totals && `${count(totals.valid)} valid`} />
          <Stat label="Invalid" value={count(totals?.invalid)} testId="total-invalid" note={totals && `${percent(totals.invalid, totals.events)} of events`} />
          <Stat label="Blocked" value={count(totals?.blocked)} note="kept aside as failed" />
          <Stat label="Right now" value={last ? `${count(last.events)}/s` : '—'}
                note={last?.dropped ? `${last.dropped} not shown in the feed` : 'events per second'} />
          <Stat label="Seen live" value={count(seen.events)} testId="seen-live" note={`${count(seen.invalid)} invalid since you opened this`} />
        </div>
        <div class="grid">
          <Chart title="Events per second, live" height={200} xRange={[now - SECONDS_SHOWN, now]} data={live}
                 series={PER_SECOND_SERIES} />
          <Chart key={span} title={`Events per ${BUCKETS[bucket] ?? `${bucket} minutes`}`} height={200} data={minutes}
                 series={[{ label: 'events', colour: COLOURS.events, points: few },
                          { label: 'invalid', colour: COLOURS.invalid, points: few }]} />
        </div>
      </Section>
      <div class="grid">
        <Section title="Violations">
          {board.data ? <ByViolation rows={board.data.by_violation} /> : <Loading what="violations" />}
        </Section>
        <Section title="Events by name">
          {board.data ? <ByEvent rows={board.data.by_event} /> : <Loading what="events" />}
        </Section>
      </div>
      <Section aria-labelledby="feed-title">
        <div class="section-head">
          <h2 id="feed-title">Live feed</h2>
          <div class="row">
            <button type="button" aria-pressed={paused ? 'true' : 'false'} onClick={() => setPaused(!paused)}>
              {paused ? 'Resume the feed' : 'Pause the feed'}
            </button>
            <button type="button" disabled={feed.length === 0} onClick={() => setFeed([])}>Clear</button>
          </div>
        </div>
        <Feed entries={feed} paused={paused} />
      </Section>
    </>
  );
}
