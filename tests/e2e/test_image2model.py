"""End-to-end: Image2Model on both modes. Real images (tests/e2e/images.py) uploaded as multipart batches,
turned into models by the job workers, followed by status and its event stream, downloaded (GLB checked by the
Khronos glTF validator, STL for watertightness, OBJ as a zip), with the refusals: bad files, quotas, scopes,
priority, other users; cancellation; and a worker killed mid-generation."""
import io
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zipfile

import images
from keel import Keel, wait_for

FAST = {"auth.argon2_memory_kib": 8192, "auth.argon2_ops": 1, "ratelimit.enabled": False}
LEASES = {"jobs.lease_ms": 1500, "jobs.heartbeat_ms": 200, "jobs.rescue_interval_ms": 200,
          "jobs.poll_interval_ms": 50}
PASSWORD = "correct horse battery"
NODE_TOOLS = os.path.join(os.path.dirname(__file__), "..", "node")
VALIDATE_GLB = """
const validator = require('gltf-validator');
const data = new Uint8Array(require('fs').readFileSync(process.argv[1]));
validator.validateBytes(data).then((r) => console.log(JSON.stringify(r.issues)))
  .catch((e) => { console.error(e); process.exit(2); });
"""


def upload(keel, who, files, fields=None, check=True):
    body, content_type = images.multipart(files, fields)
    status, headers, data = keel.request("POST", "/api/v1/upload/batch", body=body,
                                         headers={**who, "Content-Type": content_type}, timeout=60, check=check)
    return status, headers, json.loads(data) if data else None


def wait_finished(keel, who, job_id, timeout=60):
    def finished():
        status, document = keel.call("GET", f"/api/v1/status/{job_id}", who)
        assert status == 200, document
        return document if document["status"] in ("completed", "partial", "failed", "cancelled") else None
    return wait_for(finished, timeout=timeout, what=f"batch {job_id} to finish")


def glb_issues(data, directory):
    path = os.path.join(directory, "model.glb")
    with open(path, "wb") as f:
        f.write(data)
    checked = subprocess.run(["node", "-e", VALIDATE_GLB, path], cwd=NODE_TOOLS, capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0, checked.stderr
    return json.loads(checked.stdout)


def stl_open_edges(data):
    """Edges of a binary STL not shared by exactly two triangles (0 when watertight)."""
    (count,) = struct.unpack_from("<I", data, 80)
    assert len(data) == 84 + 50 * count
    points, edges = {}, {}
    for t in range(count):
        ids = []
        for k in range(3):
            point = struct.unpack_from("<3f", data, 84 + t * 50 + 12 + k * 12)
            ids.append(points.setdefault(point, len(points)))
        for k in range(3):
            edge = tuple(sorted((ids[k], ids[(k + 1) % 3])))
            edges[edge] = edges.get(edge, 0) + 1
    return sum(1 for uses in edges.values() if uses != 2)


class BatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keel = Keel({**FAST, "image2model.max_files_per_batch": 6}).__enter__()
        cls.owner = cls.keel.sign_up("owner@example.com", PASSWORD)
        cls.other = cls.keel.sign_up("other@example.com", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def test_a_batch_of_real_images_becomes_valid_downloadable_models(self):
        files = [("photo.jpg", images.jpeg()), ("star.png", images.png()), ("star.webp", images.webp()),
                 ("turned.jpg", images.rotated_jpeg()), ("anim.gif", images.gif()), ("notes.jpg", images.text()),
                 ]
        status, headers, answer = upload(self.keel, self.owner, files, {"format": "glb", "quality": "draft"})
        self.assertEqual(status, 202, answer)
        self.assertEqual(headers["location"], answer["status_url"])
        self.assertEqual([f["status"] for f in answer["files"]], ["queued"] * 4 + ["rejected"] * 2)
        self.assertIn("not a JPEG, PNG or WebP", answer["files"][4]["error"])
        self.assertIn("not a JPEG, PNG or WebP", answer["files"][5]["error"])

        document = wait_finished(self.keel, self.owner, answer["job_id"])
        self.assertEqual(document["status"], "completed", document)
        self.assertEqual(document["progress"], 100)
        self.assertIsNone(document["queue_position"])
        self.assertEqual([f["filename"] for f in document["files"]], ["photo.jpg", "star.png", "star.webp", "turned.jpg"])
        # The EXIF orientation was applied: the landscape photo is a portrait model.
        turned = document["files"][3]
        self.assertEqual((turned["width"], turned["height"]), (300, 400))

        for entry in document["files"]:
            self.assertEqual(entry["status"], "completed")
            self.assertEqual(entry["stage"], "done")
            base = f"/api/v1/results/{entry['file_id']}"
            self.assertEqual(entry["results"]["model"], base + "/model.glb")
            status, headers, glb = self.keel.request("GET", base + "/model.glb", headers=self.owner)
            self.assertEqual(status, 200)
            self.assertEqual(headers["content-type"], "model/gltf-binary")
            self.assertIn(".glb", headers["content-disposition"])
            issues = glb_issues(glb, self.keel.dir)
            self.assertEqual(issues["numErrors"], 0, issues["messages"][:5])
            status, _, stl = self.keel.request("GET", base + "/model.stl", headers=self.owner)
            self.assertEqual(status, 200)
            self.assertEqual(stl_open_edges(stl), 0)
            status, headers, obj = self.keel.request("GET", base + "/model.obj", headers=self.owner)
            self.assertEqual((status, headers["content-type"]), (200, "application/zip"))
            with zipfile.ZipFile(io.BytesIO(obj)) as archive:
                self.assertEqual(archive.testzip(), None)
                self.assertEqual(sorted(archive.namelist()), ["model.mtl", "model.obj", "texture.jpg"])
                self.assertIn(b"map_Kd texture.jpg", archive.read("model.mtl"))
            status, _, thumbnail = self.keel.request("GET", base + "/thumbnail.png", headers=self.owner)
            self.assertEqual(thumbnail[:8], b"\x89PNG\r\n\x1a\n")

    def test_downloads_honour_etag_and_ranges(self):
        _, _, answer = upload(self.keel, self.owner, [("a.png", images.png(seed=9))])
        document = wait_finished(self.keel, self.owner, answer["job_id"])
        path = document["files"][0]["results"]["model"]
        status, headers, whole = self.keel.request("GET", path, headers=self.owner)
        self.assertEqual(status, 200)
        self.assertEqual(int(headers["content-length"]), len(whole))
        etag = headers["etag"]
        status, _, _ = self.keel.request("GET", path, headers={**self.owner, "If-None-Match": etag})
        self.assertEqual(status, 304)
        status, headers, part = self.keel.request("GET", path, headers={**self.owner, "Range": "bytes=4-11"})
        self.assertEqual((status, part), (206, whole[4:12]))
        self.assertEqual(headers["content-range"], f"bytes 4-11/{len(whole)}")
        status, _, tail = self.keel.request("GET", path, headers={**self.owner, "Range": "bytes=-5"})
        self.assertEqual((status, tail), (206, whole[-5:]))
        status, headers, _ = self.keel.request("GET", path, headers={**self.owner, "Range": f"bytes={len(whole)}-"})
        self.assertEqual(status, 416)
        self.assertEqual(headers["content-range"], f"bytes */{len(whole)}")
        # A stale If-Range gets the whole file.
        status, _, again = self.keel.request("GET", path, headers={**self.owner, "Range": "bytes=0-3",
                                                                   "If-Range": '"other"'})
        self.assertEqual((status, again), (200, whole))

    def test_other_users_see_nothing(self):
        _, _, answer = upload(self.keel, self.owner, [("a.jpg", images.jpeg(seed=11))])
        document = wait_finished(self.keel, self.owner, answer["job_id"])
        job_id, file_id = answer["job_id"], document["files"][0]["file_id"]
        for method, path in [("GET", f"/api/v1/status/{job_id}"), ("GET", f"/api/v1/status/{job_id}/events"),
                             ("POST", f"/api/v1/batches/{job_id}/cancel"),
                             ("GET", f"/api/v1/results/{file_id}/model.glb")]:
            status, _, _ = self.keel.request(method, path, headers=self.other)
            self.assertEqual(status, 404, path)
        status, listing = self.keel.call("GET", "/api/v1/batches", self.other)
        self.assertEqual((status, listing["total"]), (200, 0))
        status, listing = self.keel.call("GET", "/api/v1/batches", self.owner)
        self.assertIn(job_id, [b["job_id"] for b in listing["items"]])

    def test_refusals(self):
        # Nothing acceptable: 422 naming each file.
        status, _, problem = upload(self.keel, self.owner, [("a.gif", images.gif()), ("b.jpg", images.truncated_jpeg()),
                                                            ("bomb.png", images.pixel_bomb())])
        self.assertEqual(status, 422, problem)
        details = " ".join(e["message"] for e in problem["errors"])
        self.assertIn("over the limit of 40000000 pixels", details)
        self.assertIn("damaged", details)
        # Bad fields.
        status, _, problem = upload(self.keel, self.owner, [("a.png", images.png())], {"format": "fbx", "colour": "red"})
        self.assertEqual(status, 422)
        self.assertEqual(sorted(e["field"] for e in problem["errors"]), ["colour", "format"])
        # Too many files.
        status, _, problem = upload(self.keel, self.owner, [(f"{i}.png", images.png(64)) for i in range(7)])
        self.assertEqual(status, 413, problem)
        # Neither multipart nor JSON; JSON without uploads.
        status, _, _ = self.keel.request("POST", "/api/v1/upload/batch", body=b"x",
                                         headers={**self.owner, "Content-Type": "text/plain"})
        self.assertEqual(status, 415)
        status, _, _ = self.keel.request("POST", "/api/v1/upload/batch", body=b"{}",
                                         headers={**self.owner, "Content-Type": "application/json"})
        self.assertEqual(status, 422)
        # Priority is for administrators.
        status, _, problem = upload(self.keel, self.owner, [("a.png", images.png())], {"priority": "true"})
        self.assertEqual(status, 403, problem)

    def test_api_keys_need_the_image2model_scope(self):
        status, bare = self.keel.call("POST", "/api/v1/auth/api-keys", self.owner, {"name": "bare", "scopes": []})
        self.assertEqual(status, 201, bare)
        status, scoped = self.keel.call("POST", "/api/v1/auth/api-keys", self.owner,
                                        {"name": "scoped", "scopes": ["image2model"]})
        self.assertEqual(status, 201, scoped)
        status, _, problem = upload(self.keel, {"Authorization": "Bearer " + bare["key"]}, [("a.png", images.png())])
        self.assertEqual(status, 403)
        self.assertIn("image2model", problem["detail"])
        status, _, answer = upload(self.keel, {"Authorization": "Bearer " + scoped["key"]}, [("a.png", images.png())])
        self.assertEqual(status, 202, answer)


class QuotaTest(unittest.TestCase):
    def test_the_daily_upload_quota_answers_429_until_midnight(self):
        with Keel({**FAST, "image2model.daily_upload_mb": 1}) as keel:
            who = keel.sign_up("quota@example.com", PASSWORD)
            photo = images.jpeg(2400, 1800, seed=21, quality=97)
            self.assertTrue(0.5 < len(photo) / 2**20 < 1)
            self.assertEqual(upload(keel, who, [("1.jpg", photo)])[0], 202)
            # The second would take the day over 1 MiB: refused whole, nothing stored.
            status, headers, problem = upload(keel, who, [("2.jpg", photo)])
            self.assertEqual(status, 429, problem)
            self.assertIn("daily quota of 1 MiB", problem["detail"])
            self.assertEqual(keel.sql("SELECT COUNT(*) FROM i2m_batches")[0][0], 1)
            self.assertGreater(int(headers["retry-after"]), 0)


class ProgressTest(unittest.TestCase):
    """A generator slowed at each stage (image2model.debug_stage_delay_ms), so progress can be watched."""

    def test_the_event_stream_follows_the_batch_to_its_end(self):
        with Keel({**FAST, "image2model.debug_stage_delay_ms": 300}) as keel:
            who = keel.sign_up("watch@example.com", PASSWORD)
            _, _, answer = upload(keel, who, [("a.png", images.png()), ("b.jpg", images.jpeg(seed=31))])
            conn = keel.connection(timeout=60)
            conn.request("GET", f"/api/v1/status/{answer['job_id']}/events", headers=who)
            response = conn.getresponse()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.getheader("Content-Type"), "text/event-stream")
            events = []
            while not events or events[-1][0] != "end" or len(events[-1]) < 2:
                line = response.readline().decode()  # chunked decoding: through nginx the connection stays open
                if not line:
                    break
                if line.startswith("event: "):
                    events.append([line[7:].strip()])
                elif line.startswith("data: "):
                    events[-1].append(json.loads(line[6:]))
            conn.close()
            names = [e[0] for e in events]
            self.assertEqual(names[-1], "end")
            self.assertEqual(events[-1][1]["status"], "completed")
            stages = {f["stage"] for e in events for f in e[1]["files"]}
            self.assertTrue({"preprocessing", "generating", "packaging", "done"} <= stages, stages)
            progress = [e[1]["progress"] for e in events]
            self.assertEqual(progress, sorted(progress))  # never goes back

    def test_cancel_stops_what_has_not_finished(self):
        with Keel({**FAST, "image2model.debug_stage_delay_ms": 2000}) as keel:
            who = keel.sign_up("cancel@example.com", PASSWORD)
            _, _, answer = upload(keel, who, [(f"{i}.png", images.png(seed=i)) for i in range(3)])
            job_id = answer["job_id"]
            wait_for(lambda: keel.call("GET", f"/api/v1/status/{job_id}", who)[1]["status"] == "processing",
                     what="processing")
            status, document = keel.call("POST", f"/api/v1/batches/{job_id}/cancel", who)
            self.assertEqual(status, 200, document)
            self.assertEqual(document["status"], "cancelled")
            self.assertEqual({f["status"] for f in document["files"]}, {"cancelled"})
            status, _ = keel.call("POST", f"/api/v1/batches/{job_id}/cancel", who)
            self.assertEqual(status, 409)
            # The running generation stops and stores nothing: no results appear later.
            wait_for(lambda: keel.sql("SELECT COUNT(*) FROM jobs WHERE kind = 'image2model.generate' AND state IN "
                                      "('queued', 'running')")[0][0] == 0, what="the generation jobs to stop")
            status, document = keel.call("GET", f"/api/v1/status/{job_id}", who)
            self.assertEqual({f["status"] for f in document["files"]}, {"cancelled"})
            self.assertTrue(all(f["results"] is None for f in document["files"]))


class ResumableUploadTest(unittest.TestCase):
    """tus 1.0.0 at /api/v1/uploads, driven by the npm tus-js-client, then generation from the finished upload."""

    @classmethod
    def setUpClass(cls):
        cls.keel = Keel(FAST).__enter__()
        cls.who = cls.keel.sign_up("tus@example.com", PASSWORD)
        cls.token = cls.who["Authorization"].split(" ", 1)[1]

    @classmethod
    def tearDownClass(cls):
        cls.keel.__exit__(None, None, None)

    def tus(self, *args):
        done = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "tus_upload.js"), *args],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def head(self, url):
        status, headers, _ = self.keel.request("HEAD", url, headers={**self.who, "Tus-Resumable": "1.0.0"})
        return status, headers

    def test_an_interrupted_upload_resumes_and_becomes_a_batch(self):
        photo = images.jpeg(2400, 1800, seed=51, quality=97)
        path = os.path.join(self.keel.dir, "big.jpg")
        with open(path, "wb") as f:
            f.write(photo)
        endpoint = f"http://127.0.0.1:{self.keel.port}/api/v1/uploads"
        started = self.tus("start", endpoint, self.token, path, str(300 * 1024))
        upload_path = "/api/v1/uploads/" + started["url"].rsplit("/", 1)[1]
        status, headers = self.head(upload_path)
        self.assertEqual(status, 200)
        offset = int(headers["upload-offset"])
        self.assertTrue(0 < offset < len(photo), (offset, len(photo)))
        self.assertEqual(int(headers["upload-length"]), len(photo))
        resumed = self.tus("resume", endpoint, self.token, path, started["url"])
        self.assertGreaterEqual(resumed["resumed_at"], offset)  # it went on from the server's offset
        status, headers = self.head(upload_path)
        self.assertEqual(int(headers["upload-offset"]), len(photo))

        upload_id = upload_path.rsplit("/", 1)[1]
        status, answer = self.keel.call("POST", "/api/v1/upload/batch", self.who,
                                        {"uploads": [upload_id, "nope"], "quality": "draft"})
        self.assertEqual(status, 202, answer)
        self.assertEqual([f["status"] for f in answer["files"]], ["queued", "rejected"])
        self.assertEqual(answer["files"][0]["filename"], "big.jpg")
        document = wait_finished(self.keel, self.who, answer["job_id"])
        self.assertEqual(document["status"], "completed", document)
        status, _, glb = self.keel.request("GET", document["files"][0]["results"]["model"], headers=self.who)
        self.assertEqual(glb[:4], b"glTF")

    def test_the_protocol_refuses_what_it_must(self):
        base = {**self.who, "Tus-Resumable": "1.0.0"}
        status, headers, _ = self.keel.request("OPTIONS", "/api/v1/uploads")
        self.assertEqual(status, 204)
        self.assertIn("creation", headers["tus-extension"])
        status, headers, _ = self.keel.request("POST", "/api/v1/uploads", headers={**self.who, "Upload-Length": "10"})
        self.assertEqual((status, headers["tus-version"]), (412, "1.0.0"))
        status, _, _ = self.keel.request("POST", "/api/v1/uploads", headers={**base, "Upload-Length": str(64 << 20)})
        self.assertEqual(status, 413)
        status, headers, _ = self.keel.request("POST", "/api/v1/uploads", headers={**base, "Upload-Length": "10"})
        self.assertEqual(status, 201)
        location = headers["location"]
        patch = {**base, "Content-Type": "application/offset+octet-stream"}
        status, _, _ = self.keel.request("PATCH", location, body=b"abc", headers={**patch, "Upload-Offset": "5"})
        self.assertEqual(status, 409)
        status, _, _ = self.keel.request("PATCH", location, body=b"abc",
                                         headers={**base, "Content-Type": "text/plain", "Upload-Offset": "0"})
        self.assertEqual(status, 415)
        status, headers, _ = self.keel.request("PATCH", location, body=b"abc", headers={**patch, "Upload-Offset": "0"})
        self.assertEqual((status, headers["upload-offset"]), (204, "3"))
        status, _, _ = self.keel.request("PATCH", location, body=b"x" * 20, headers={**patch, "Upload-Offset": "3"})
        self.assertEqual(status, 413)
        status, _, _ = self.keel.request("HEAD", location, headers=self.other_user())
        self.assertEqual(status, 404)
        status, _, _ = self.keel.request("DELETE", location, headers=base)
        self.assertEqual(status, 204)
        status, _ = self.head(location)
        self.assertEqual(status, 404)
        # Finished bytes that are not an image are refused by the batch, naming the upload's reason.
        status, headers, _ = self.keel.request("POST", "/api/v1/uploads", headers={**base, "Upload-Length": "4",
                                               "Upload-Metadata": "filename bm90ZXMudHh0"})
        location = headers["location"]
        self.keel.request("PATCH", location, body=b"text", headers={**patch, "Upload-Offset": "0"})
        status, problem = self.keel.call("POST", "/api/v1/upload/batch", self.who,
                                         {"uploads": [location.rsplit("/", 1)[1]]})
        self.assertEqual(status, 422, problem)
        self.assertIn("not a JPEG, PNG or WebP", problem["errors"][0]["message"])

    def other_user(self):
        if not hasattr(self, "_other"):
            type(self)._other = self.keel.sign_up("tus-other@example.com", PASSWORD)
        return {**self._other, "Tus-Resumable": "1.0.0"}


class WorkerKillTest(unittest.TestCase):
    """An API without workers and separate `keel worker` processes, sharing the database and the blob folder."""

    def test_a_file_whose_worker_is_killed_is_generated_again_and_completes_once(self):
        root = tempfile.mkdtemp(prefix="keel-e2e-blobs-")
        self.addCleanup(shutil.rmtree, root, True)
        blobs = {"blobs.path": os.path.join(root, "blobs")}
        with Keel({**FAST, **LEASES, **blobs, "jobs.workers": False}) as api:
            who = api.sign_up("kill@example.com", PASSWORD)
            _, _, answer = upload(api, who, [("a.png", images.png())])
            worker = {**FAST, **LEASES, **blobs, "image2model.debug_stage_delay_ms": 1000}
            queues = ("worker", "--queues", "batch_processing,model_generation")
            first = Keel(worker, command=queues, db_path=api.db_path)
            first.start()
            try:
                wait_for(lambda: api.sql("SELECT stage FROM i2m_files")[0][0] == "generating", timeout=30,
                         what="the first worker to be generating")
                first.process.kill()
                first.process.wait()
            finally:
                first.stop()
            with Keel(worker, command=queues, db_path=api.db_path):
                document = wait_finished(api, who, answer["job_id"], timeout=60)
            self.assertEqual(document["status"], "completed")
            attempts, = api.sql("SELECT attempts FROM i2m_files")[0]
            self.assertEqual(attempts, 2)
            rows = api.sql("SELECT attempt, state FROM jobs WHERE kind = 'image2model.generate'")
            self.assertEqual([tuple(row) for row in rows], [(2, "completed")])
            # Stored once: one reference to each result blob.
            refs = api.sql("SELECT refs FROM blob_refs WHERE sha256 = (SELECT glb_sha256 FROM i2m_files)")
            self.assertEqual([tuple(row) for row in refs], [(1,)])
            status, _, glb = api.request("GET", document["files"][0]["results"]["model"], headers=who)
            self.assertEqual((status, glb[:4]), (200, b"glTF"))


if __name__ == "__main__":
    unittest.main()
