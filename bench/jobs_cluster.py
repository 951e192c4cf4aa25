"""Job start latency across processes (issue 6): jobs enqueued through nginx on an API instance, run by a
separate `keel worker`, on PostgreSQL (through pgBouncer), all started by `keel cluster` on this machine.

Two phases on the same processes, paced below capacity (--rate jobs/s for --duration s each):
- notify: as shipped; the INSERT's trigger sends NOTIFY keel_jobs and the worker's LISTEN (database.direct_url)
  wakes its dispatcher;
- poll: the triggers dropped, so the worker finds each job at its next poll (jobs.poll_interval_ms, 200 ms).
Enqueue-to-start is started_at - created_at of each job's row (one machine, one clock).
"""
import argparse
import os
import shutil
import tempfile
import time

from benchlib import measured_stamp, write_section
from cluster import Cluster
from jobs import paced, percentile


def sql(cluster, statement):
    """One statement on the cluster's database, straight to PostgreSQL; its rows, if it returns any."""
    import psycopg2
    db = psycopg2.connect(cluster.settings["KEEL_DATABASE_DIRECT_URL"])
    db.autocommit = True
    try:
        cursor = db.cursor()
        cursor.execute(statement)
        return cursor.fetchall() if cursor.description else None
    finally:
        db.close()


def phase(cluster, rate, duration):
    sql(cluster, "DELETE FROM jobs WHERE kind = 'debug.noop'")
    paced(cluster.nginx, rate, duration)
    deadline = time.monotonic() + 60
    while sql(cluster, "SELECT COUNT(*) FROM jobs WHERE kind = 'debug.noop' AND state <> 'completed'")[0][0] > 0:
        if time.monotonic() > deadline:
            raise RuntimeError("jobs did not complete")
        time.sleep(0.2)
    delays = [r[0] for r in sql(cluster, "SELECT started_at - created_at FROM jobs WHERE kind = 'debug.noop'")]
    return {"jobs": len(delays), "p50_ms": percentile(delays, 50), "p99_ms": percentile(delays, 99),
            "max_ms": max(delays)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rate", type=int, default=100)
    args = parser.parse_args()

    config_dir = tempfile.mkdtemp(prefix="keel-bench-config-")
    config_path = os.path.join(config_dir, "keel.toml")
    with open(config_path, "w") as f:
        f.write("[debug]\nroutes = true\n[ratelimit]\nenabled = false\n[log]\naccess = false\n")
    cluster = Cluster(args.keel, 1, config_path, workers=1)
    try:
        paced(cluster.nginx, 20, 2)  # warm-up: connections open in every pool
        notify = phase(cluster, args.rate, args.duration)
        print("notify", notify, flush=True)
        sql(cluster, "DROP TRIGGER jobs_available_insert ON jobs; DROP TRIGGER jobs_available_update ON jobs")
        poll = phase(cluster, args.rate, args.duration)
        print("poll", poll, flush=True)
    finally:
        cluster.down()
        shutil.rmtree(config_dir, ignore_errors=True)

    when, commit = measured_stamp()
    heading = "## Scaled out: job start latency across processes (LISTEN/NOTIFY vs polling)"
    section = f"""{heading}

Measured {when} at commit `{commit}` on this project's 2-core machine. Command:
`bench/run-jobs-cluster.sh --duration {args.duration} --rate {args.rate}`.
`keel cluster up --instances 1 --workers 1`: no-op jobs enqueued by HTTP through nginx on the API instance
(which runs no workers), {args.rate} jobs/s for {args.duration} s per phase, run by the separate `keel worker`
on PostgreSQL through pgBouncer. Enqueue-to-start is each row's started_at - created_at.

| wake-up | jobs | enqueue-to-start p50 ms | p99 ms | max ms |
| --- | --- | --- | --- | --- |
| NOTIFY from the INSERT's trigger, LISTEN on database.direct_url | {notify['jobs']:,} | {notify['p50_ms']:.0f} | {notify['p99_ms']:.0f} | {notify['max_ms']:.0f} |
| polling only (triggers dropped; jobs.poll_interval_ms 200) | {poll['jobs']:,} | {poll['p50_ms']:.0f} | {poll['p99_ms']:.0f} | {poll['max_ms']:.0f} |
"""
    print(section)
    write_section(args.out, heading, section)


if __name__ == "__main__":
    main()
