"""`reflex run --env prod --single-port ...` without the frontend compile and build steps: the
backend serves the `.web/build` an earlier `reflex run` of the same session built.

Run as `python -m tests.e2e.serve_built <reflex run options>` (tests/e2e/conftest.py, AppServer).
Everything else is Reflex 0.10.1's own `run` command, unchanged: its single-port prod path
(`reflex.reflex._run_prod`) compiles the app (`_compile_app`), builds the frontend
(`build.setup_frontend_prod`) and then starts the backend with the built static files mounted
(`exec.run_backend_prod(..., mount_frontend_compiled_app=True)`). Only the first two are skipped
here; `--backend-only` is not an option, because Reflex then leaves the frontend unmounted.
The backend itself never compiles in prod (`run_*_backend_prod` sets REFLEX_SKIP_COMPILE).
"""

from __future__ import annotations

import sys
from typing import Any

import reflex.reflex as reflex_cli
from reflex.utils import build


def _already_built(*args: Any, **kwargs: Any) -> None:
    """The frontend in `.web` was compiled and built by the session's first start."""


def main(argv: list[str]) -> None:
    # Should a Reflex upgrade rename them, stop here rather than build again unnoticed.
    if not callable(getattr(reflex_cli, "_compile_app", None)) or not callable(
        getattr(build, "setup_frontend_prod", None)
    ):
        raise SystemExit("serve_built: reflex.reflex._compile_app or setup_frontend_prod is gone")
    reflex_cli._compile_app = _already_built  # type: ignore[assignment]  # reflex 0.10.1
    build.setup_frontend_prod = _already_built  # type: ignore[assignment]
    reflex_cli.cli(args=["run", *argv], prog_name="reflex")


if __name__ == "__main__":
    main(sys.argv[1:])
