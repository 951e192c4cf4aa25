-- The durable job queue (src/jobs/). Times are Unix milliseconds (UTC) so every process compares them alike.
--
-- States: available (ready now), scheduled (run_at in the future when enqueued), running (leased),
-- retryable (failed, waiting for its back-off), completed, discarded (out of attempts), cancelled.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  queue TEXT NOT NULL,
  args TEXT NOT NULL DEFAULT '{}',            -- JSON object
  priority INTEGER NOT NULL DEFAULT 0,        -- higher runs first
  state TEXT NOT NULL CHECK (state IN ('available', 'scheduled', 'running', 'retryable', 'completed',
                                       'discarded', 'cancelled')),
  run_at INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,         -- attempts started so far
  max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
  lease_owner TEXT,                           -- worker id while running
  lease_expires_at INTEGER,
  lease_token INTEGER NOT NULL DEFAULT 0,     -- fencing token: bumped by every claim
  progress INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  progress_message TEXT NOT NULL DEFAULT '',
  result TEXT,                                -- JSON, when completed
  errors TEXT NOT NULL DEFAULT '[]',          -- JSON array: one entry per failed attempt
  unique_key TEXT,
  owner_id TEXT,                              -- the user the job works for, when there is one
  created_at INTEGER NOT NULL,
  started_at INTEGER,                         -- of the latest attempt
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
);
-- At most one live job per unique key; enqueueing another returns the live one.
CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('available', 'scheduled', 'running', 'retryable');
-- The claim: the best ready job of a queue.
CREATE INDEX jobs_ready ON jobs (queue, priority DESC, run_at, id)
  WHERE state IN ('available', 'scheduled', 'retryable');
-- The lease reaper.
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE state = 'running';
-- Admin listing and queue statistics.
CREATE INDEX jobs_queue_state ON jobs (queue, state, kind, id);
-- Pruning finished jobs.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Periodic jobs: the last cron tick fired per kind. Advanced with compare-and-set in the transaction that
-- enqueues the run, so one tick fires once however many schedulers run.
CREATE TABLE job_schedules (
  kind TEXT PRIMARY KEY,
  last_tick INTEGER NOT NULL
);

-- Named leases between processes (the scheduler's).
CREATE TABLE job_leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
