"""End-to-end: an event acknowledged by POST /api/v1/logs survives kill -9 of the instance that took it, and a
batch is stored whole or not at all (seed 002). Embedded mode: the one instance is killed mid-ingestion and
started again on its SQLite file; scaled mode: one of two instances is killed while the other keeps serving."""
import http.client
import json
import threading
import time
import unittest

from keel import Keel

PASSWORD = "correct horse battery"
CONFIG = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False}
BATCH = 20


class DurabilityTest(unittest.TestCase):
    def test_kill_9_during_ingestion_loses_no_acknowledged_event(self):
        with Keel(CONFIG) as keel:
            owner = keel.sign_up("a@example.com", PASSWORD)
            status, app = keel.call("POST", "/api/v1/apps", owner, {"name": "Durable", "mode": "block"})
            self.assertEqual(status, 201, app)
            rules = {"events": {"tick": {"properties": {"n": {"multipleOf": 3}}}}}
            self.assertEqual(keel.call("PUT", f"/api/v1/apps/{app['id']}/rules", owner, rules)[0], 201)
            victim = keel.processes[0]
            acknowledged, stop = [], threading.Event()

            def send(sender):
                batch_number = 0
                while not stop.is_set():
                    events = [{"event": "tick", "properties": {"sender": sender, "batch": batch_number, "n": n}}
                              for n in range(BATCH)]
                    try:
                        conn = http.client.HTTPConnection("127.0.0.1", victim.port, timeout=5)
                        conn.request("POST", "/api/v1/logs", body=json.dumps({"events": events}),
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {app['ingest_key']}"})
                        response = conn.getresponse()
                        response.read()
                        conn.close()
                    except OSError:
                        return  # the instance is gone: what was not acknowledged may or may not be stored
                    if response.status == 200:
                        acknowledged.append((sender, batch_number))
                    batch_number += 1

            senders = [threading.Thread(target=send, args=(s,)) for s in range(4)]
            for thread in senders:
                thread.start()
            time.sleep(1.5)
            victim.process.kill()
            victim.process.wait()
            stop.set()
            for thread in senders:
                thread.join(timeout=10)
            self.assertGreater(len(acknowledged), 10)
            victim.log_file.close()
            victim.start(20)  # on the same database; in the scaled mode the other instance served meanwhile

            def stored(table):
                rows = keel.sql(f"SELECT properties FROM {table} WHERE app_id = ?", (app["id"],))
                return [json.loads(properties) for (properties,) in rows]

            batches = {}
            for properties in stored("log_entries") + stored("failed_events"):
                key = (properties["sender"], properties["batch"])
                batches[key] = batches.get(key, 0) + 1
            missing = [key for key in acknowledged if batches.get(key) != BATCH]
            self.assertEqual(missing, [], f"{len(missing)} of {len(acknowledged)} acknowledged batches incomplete")
            # Whole or nothing: a batch the kill cut off left no part of itself.
            self.assertEqual({count for count in batches.values()}, {BATCH})
            # Block mode kept the events that broke the rule aside, in the same transaction.
            self.assertEqual(len(stored("failed_events")), len(batches) * (BATCH - 7))


if __name__ == "__main__":
    unittest.main()
