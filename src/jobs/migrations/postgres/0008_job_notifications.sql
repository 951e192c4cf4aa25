-- Job wake-ups across processes: a job that becomes ready to run (inserted as available, or put back to
-- available by a lease rescue or an admin retry) sends NOTIFY keel_jobs with its queue as the payload.
-- Workers LISTEN on a direct connection (database.direct_url: pgBouncer's transaction pooling cannot hold
-- a LISTEN) and claim at once instead of at their next poll. NOTIFY is delivered at commit and folded per
-- transaction, and a rolled-back enqueue sends nothing. Sending works through pgBouncer.
CREATE FUNCTION keel_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('keel_jobs', NEW.queue);
  RETURN NULL;
END
$$;

CREATE TRIGGER jobs_available_insert AFTER INSERT ON jobs
  FOR EACH ROW WHEN (NEW.state = 'available') EXECUTE FUNCTION keel_jobs_notify();

CREATE TRIGGER jobs_available_update AFTER UPDATE OF state ON jobs
  FOR EACH ROW WHEN (NEW.state = 'available' AND OLD.state <> 'available') EXECUTE FUNCTION keel_jobs_notify();
