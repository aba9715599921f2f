"""Simulated Pixel Studio users for locust (started by bench/load/run_load.py).

Each simulated user is a real account with a personal API token (made through the services
before the run; the fixture file named by LOAD_FIXTURE lists them, the backends and the public
image ids). A user sticks to one backend (round robin over the backends, as a proxy with
sticky sessions would) and, with 1–3 s between actions, browses and acts:

- page loads: GET /explore and GET /image/<id> (the HTML the browser gets first; the page's
  data then arrives over the socket, which tab_capacity.py measures, not this file);
- REST reads: explore, image detail, comments;
- writes through the REST API with the Bearer token: like, comment, and generate (local-sketch,
  one image) followed by polling the job every second until it has ended; the whole
  submit → ended time is reported as its own row, "generation: submit→ended".

The request names group ids ("/image/[id]"), so each row of the results is one action.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from typing import Any

from locust import HttpUser, between, events, task

with open(os.environ["LOAD_FIXTURE"], encoding="utf-8") as f:
    FIXTURE: dict[str, Any] = json.load(f)

_accounts = itertools.count()
POLL_LIMIT = 120.0  # seconds a generation may take before it counts as failed
WORDS = ["a red fox", "a lighthouse", "neon city", "a quiet lake", "mountain dawn", "old robot"]


class StudioUser(HttpUser):
    wait_time = between(1, 3)
    host = FIXTURE["backends"][0]

    def on_start(self) -> None:
        n = next(_accounts)
        account = FIXTURE["users"][n % len(FIXTURE["users"])]
        self.client.base_url = FIXTURE["backends"][n % len(FIXTURE["backends"])]
        self.auth = {"Authorization": f"Bearer {account['token']}"}

    def image_id(self) -> int:
        return int(random.choice(FIXTURE["image_ids"]))

    # --- pages (HTML)

    @task(3)
    def explore_page(self) -> None:
        self.client.get("/explore", name="page /explore")

    @task(3)
    def image_page(self) -> None:
        self.client.get(f"/image/{self.image_id()}", name="page /image/[id]")

    # --- REST reads

    @task(3)
    def explore_api(self) -> None:
        sort = random.choice(["recent", "trending"])
        self.client.get(f"/api/v1/explore?sort={sort}", name="api GET explore", headers=self.auth)

    @task(3)
    def image_api(self) -> None:
        self.client.get(
            f"/api/v1/images/{self.image_id()}", name="api GET image/[id]", headers=self.auth
        )

    @task(1)
    def comments_api(self) -> None:
        self.client.get(
            f"/api/v1/images/{self.image_id()}/comments",
            name="api GET image/[id]/comments",
            headers=self.auth,
        )

    # --- REST writes

    @task(2)
    def like(self) -> None:
        self.client.put(
            f"/api/v1/images/{self.image_id()}/like", name="api PUT like", headers=self.auth
        )

    @task(1)
    def comment(self) -> None:
        body = {"body": f"{random.choice(WORDS)}, lovely ({random.randint(1, 10**6)})"}
        self.client.post(
            f"/api/v1/images/{self.image_id()}/comments",
            json=body,
            name="api POST comment",
            headers=self.auth,
        )

    @task(1)
    def generate(self) -> None:
        started = time.perf_counter()
        body = {"model": "local-sketch", "prompt": random.choice(WORDS), "count": 1}
        with self.client.post(
            "/api/v1/generations",
            json=body,
            name="api POST generation",
            headers=self.auth,
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            job = response.json()
        while job.get("status") in ("queued", "running"):
            if time.perf_counter() - started > POLL_LIMIT:
                break
            time.sleep(1)
            poll = self.client.get(
                f"/api/v1/generations/{job['id']}",
                name="api GET generation/[id]",
                headers=self.auth,
            )
            if poll.status_code != 200:
                break
            job = poll.json()
        events.request.fire(
            request_type="JOB",
            name="generation: submit→ended",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None
            if job.get("status") == "succeeded"
            else RuntimeError(f"job ended {job.get('status')}"),
            context={},
        )
