"""Sentry is off without SENTRY_DSN; with one, an error reaches it (a loopback peer)."""

from __future__ import annotations

import os
import subprocess
import sys

from pixel_studio.logging_setup import init_sentry
from pixel_studio.settings import Settings
from tests.ops.sentry_peer import sentry_receiver
from tests.workers.celery_harness import REPO


def test_no_dsn_no_sentry(settings: Settings) -> None:
    assert init_sentry("backend", settings) is False
    assert "sentry_sdk" not in sys.modules or not _sentry_active()


def _sentry_active() -> bool:
    import sentry_sdk

    return bool(sentry_sdk.get_client().is_active())


def test_with_a_dsn_a_logged_error_is_sent() -> None:
    with sentry_receiver() as (dsn, bodies):
        script = (
            "import logging, sentry_sdk\n"
            "from pixel_studio.logging_setup import configure_logging\n"
            "configure_logging('cli')\n"
            "logging.getLogger('pixel_studio.probe').error('sentry probe 7731')\n"
            "sentry_sdk.flush(5)\n"
        )
        env = {**os.environ, "SENTRY_DSN": dsn, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env=env, timeout=60, check=False
        )
        assert done.returncode == 0
    assert any(b"sentry probe 7731" in body for body in bodies)
