// SIPREMS training: a training job followed live through its event stream (its progress, then what each
// product's new version became).
import { useEffect, useRef, useState } from 'preact/hooks';
import { events } from '../api.js';
import { Badge, ProblemBanner } from '../ui.jsx';
import { fixed } from './siprems-common.jsx';

const FINAL_STATES = new Set(['completed', 'discarded', 'cancelled']);

function ProductOutcome({ outcome }) {
  const measured = outcome.mase != null ? `, MASE ${fixed(outcome.mase, 3)}` : '';
  return (
    <li>
      <code>{outcome.sku}</code>: <Badge value={outcome.status} />
      {outcome.family && <> {outcome.family.replaceAll('_', ' ')}{measured}</>}
      {outcome.reason && <span class="muted"> — {outcome.reason}</span>}
    </li>
  );
}

// Job `jobId` as it runs; `onDone(job)` once it reaches a final state (completed, discarded or cancelled).
export function TrainingJob({ jobId, onDone }) {
  const [job, setJob] = useState(null);
  const [problem, setProblem] = useState(null);
  const done = useRef(onDone);
  done.current = onDone;

  useEffect(() => {
    const stop = new AbortController();
    events(`/api/v1/jobs/${jobId}/events`, ({ event, data }) => {
      if (data?.id === undefined) return;  // "gone": the job was pruned, nothing more to show
      setJob(data);
      if (event === 'end' || FINAL_STATES.has(data.state)) {
        stop.abort();
        done.current?.(data);
      }
    }, stop.signal).catch(setProblem);
    return () => stop.abort();
  }, [jobId]);

  const percent = job?.progress?.percent ?? 0;
  const result = job?.result;
  return (
    <div class="notice" role="status" data-job={jobId} data-state={job?.state ?? 'queued'}>
      <div class="row" style={{ alignItems: 'center' }}>
        <strong>Training job {jobId}</strong>
        <Badge value={job?.state ?? 'queued'} />
        {job?.progress?.message && <span class="muted">{job.progress.message}</span>}
      </div>
      <progress max={100} value={percent} aria-label={`Training job ${jobId} progress`} />
      {result && (
        <>
          <p style={{ margin: '0.25rem 0' }}>
            {result.products} product(s): {result.served} served, {result.refused} refused, {result.skipped} skipped
            (too little history).
          </p>
          {result.outcomes?.length > 0 && (
            <ul style={{ margin: 0 }}>
              {result.outcomes.slice(0, 10).map((outcome) => <ProductOutcome key={outcome.sku} outcome={outcome} />)}
            </ul>
          )}
        </>
      )}
      {job?.errors?.length > 0 && job.state !== 'completed' && (
        <p class="error">{job.errors[job.errors.length - 1].error ?? 'The training failed.'}</p>
      )}
      <ProblemBanner problem={problem} />
    </div>
  );
}
