"""The Celery app the pipeline benchmark's worker runs (started by bench/pipeline.py):

- `pixel_studio.generate`: the product's own task, unchanged;
- `bench.noop`: the floor: the least a task must do to be seen by the same kind of consumer
  as a job, i.e. push one message to a Redis list (a job pushes its events);
- `bench.generate_instant`: the product's run_job with a provider that hands back a PNG drawn
  once in advance, to separate the pipeline's own cost from the time spent drawing.

Benchmark scaffolding only: nothing here is imported by the product.
"""

from __future__ import annotations

from functools import lru_cache

import redis

import workers.tasks  # noqa: F401  (registers pixel_studio.generate)
from pixel_studio.providers import GeneratedImage, ImageRequest, StepCallback
from pixel_studio.providers.local_sketch import LocalSketchProvider
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import get_settings
from workers.celery_app import get_app

app = get_app()
NOOP_TASK = "bench.noop"
INSTANT_TASK = "bench.generate_instant"
NOOP_KEY = "bench:noop"


@lru_cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url)


class PredrawnProvider:
    """Returns one picture drawn at start-up: a provider that takes no time at all."""

    @lru_cache  # noqa: B019 - one instance per process, kept for the process's life
    def _image(self, width: int, height: int) -> GeneratedImage:
        req = ImageRequest(model_id="local-sketch", prompt="x", width=width, height=height, seed=1)
        return LocalSketchProvider().generate(req)

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        return self._image(request.width, request.height)


_PREDRAWN = PredrawnProvider()


@app.task(name=NOOP_TASK)
def noop(token: str) -> None:
    _redis().rpush(NOOP_KEY, token)


@app.task(name=INSTANT_TASK)
def generate_instant(job_id: str) -> None:
    run_job(job_id, provider_for=lambda _model: _PREDRAWN)
