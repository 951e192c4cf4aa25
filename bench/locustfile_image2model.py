"""The Image2Model seed's Locust mix: health 1, upload 5, status 3, each user waiting 1-3 s between requests.
Uploads are real JPEGs (photo-like, made by tests/e2e/images.py), one file per batch; status reads follow the
batches the user uploaded. Authenticated with an API key (KEEL_BENCH_API_KEY) holding the image2model scope."""
import os
import random
import sys

from locust import HttpUser, between, task

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
import images  # noqa: E402

PHOTOS = [images.multipart([(f"photo-{i}.jpg", images.jpeg(1024, 768, seed=200 + i))]) for i in range(8)]
KEY = os.environ["KEEL_BENCH_API_KEY"]


class Image2ModelUser(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.batches = []

    @task(1)
    def health(self):
        self.client.get("/api/v1/health", name="/api/v1/health")

    @task(5)
    def upload(self):
        body, content_type = random.choice(PHOTOS)
        with self.client.post("/api/v1/upload/batch", data=body, name="/api/v1/upload/batch", catch_response=True,
                              headers={"Authorization": f"Bearer {KEY}", "Content-Type": content_type}) as answer:
            if answer.status_code != 202:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            self.batches.append(answer.json()["job_id"])

    @task(3)
    def status(self):
        if not self.batches:
            return
        job_id = random.choice(self.batches[-20:])
        self.client.get(f"/api/v1/status/{job_id}", name="/api/v1/status/{job_id}",
                        headers={"Authorization": f"Bearer {KEY}"})
