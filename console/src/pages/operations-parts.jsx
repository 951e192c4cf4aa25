// What the operations views share: live updates that the reader can pause, row actions with their outcome
// announced, and the way durations and ratios read.
import { useState } from 'preact/hooks';
import { useInterval } from '../hooks.js';
import { ProblemBanner } from '../ui.jsx';

// Calls `reload` every `ms` unless the reader paused live updates; gives the switch that pauses them.
export function useLive(reload, ms) {
  const [live, setLive] = useState(true);
  useInterval(() => {
    if (live) reload();
  }, ms);
  return (
    <label class="row" style={{ gap: '0.4rem', alignItems: 'center' }}>
      <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
      Live (every {Math.round(ms / 1000)} s)
    </label>
  );
}

// Runs one action at a time (retry a job, reload a model): which one is busy, and its outcome, a notice (what
// `work` returns) or a problem. `onDone` refreshes what the action changed.
export function useActions(onDone) {
  const [busy, setBusy] = useState(null);
  const [outcome, setOutcome] = useState(null);
  const run = async (key, work) => {
    setBusy(key);
    setOutcome(null);
    try {
      setOutcome({ notice: await work() });
      onDone?.();
    } catch (problem) {
      setOutcome({ problem });
    } finally {
      setBusy(null);
    }
  };
  return { run, busy, outcome };
}

// An action's outcome; the live region stays in place so that screen readers announce what appears in it.
export function Outcome({ outcome }) {
  return (
    <>
      <ProblemBanner problem={outcome?.problem} />
      <div role="status">{outcome?.notice && <p class="notice">{outcome.notice}</p>}</div>
    </>
  );
}

// "45 s", "3 min 5 s", "2 h 4 min", "3 d 2 h".
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function percent(ratio) {
  return ratio == null ? '—' : `${(ratio * 100).toFixed(1)} %`;
}

export function count(n) {
  return n == null ? '—' : Math.round(n).toLocaleString();
}
