"""One settings class: the embedded profile with nothing set, production parts by variable."""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
import time
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# The names one machine answers to on loopback: a browser may show any of them.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def site_origins(site_url: str) -> list[str]:
    """The origins the socket accepts for this site.

    A loopback SITE_URL (a laptop's `make run`) accepts every loopback alias on its port:
    Reflex prints `http://127.0.0.1:3000/` while the default SITE_URL says localhost, and
    both must work. Any other SITE_URL is accepted as written, and only it.
    """
    origin = site_url.strip().rstrip("/")
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    if host not in ("localhost", "127.0.0.1", "::1") or parts.path:
        return [origin]
    port = f":{parts.port}" if parts.port else ""
    return [f"{parts.scheme}://{alias}{port}" for alias in LOOPBACK_HOSTS]


def is_loopback_host(host: str) -> bool:
    """localhost (and its subdomains) or a loopback address (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CreditPack(BaseModel):
    """One pack on sale: `credits` for `price_cents` (in STRIPE_CURRENCY's smallest unit)."""

    id: str = Field(pattern=r"^[a-z0-9_-]{1,32}$")
    credits: int = Field(gt=0, le=1_000_000)
    # Stripe refuses card charges under about 50 cents (or the currency's equivalent).
    price_cents: int = Field(ge=50, le=1_000_000)


class ProviderLimit(BaseModel):
    """How hard the workers together may call one model (PROVIDER_LIMITS, per model id)."""

    model_config = ConfigDict(extra="forbid")

    # Calls in flight at once, across every worker; None: no limit.
    concurrency: int | None = Field(default=None, ge=1, le=10_000)
    # Calls started in any one-second window, across every worker; None: no limit.
    per_second: int | None = Field(default=None, ge=1, le=10_000)


DEFAULT_CREDIT_PACKS = [
    CreditPack(id="small", credits=50, price_cents=299),
    CreditPack(id="medium", credits=150, price_cents=699),
    CreditPack(id="large", credits=400, price_cents=1499),
]


# A `limits` rate string with one limit: "5/minute", "30 per 1 minute", "100/2 hours".
RATE_LIMIT_PATTERN = r"^[1-9][0-9]{0,6} ?(/|per) ?([1-9][0-9]{0,5} ?)?(second|minute|hour|day)s?$"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Where the embedded profile keeps its files (SQLite, media, the generated secret).
    data_dir: Path = REPO_ROOT / "data"
    site_url: str = "http://localhost:3000"
    secret_key: str = ""

    database_url: str = ""
    redis_url: str = ""
    celery_broker_url: str = ""

    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_prefix: str = ""
    # A CDN in front of the public files (images/, avatars/): their URLs start with it instead
    # of the storage's own address. Private files never go through it (storage/base.py).
    media_base_url: str = ""

    openai_api_key: str = ""
    openai_base_url: str = ""
    hf_token: str = ""
    hf_base_url: str = "https://router.huggingface.co/hf-inference"
    local_diffusers_model_dir: str = ""

    # Installed plugins to leave out, by name as `pixel-studio plugins` lists them: "a,b".
    disabled_plugins: str = ""

    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    # Where the official client sends API calls (a test peer on loopback, or Stripe's).
    stripe_api_base: str = "https://api.stripe.com"
    stripe_currency: str = Field(default="usd", pattern=r"^[a-z]{3}$")
    # CREDIT_PACKS as JSON: [{"id": "small", "credits": 50, "price_cents": 299}, ...]
    credit_packs: list[CreditPack] = Field(default_factory=lambda: list(DEFAULT_CREDIT_PACKS))

    # Webhooks for API users (services/integrations/webhooks.py). Targets in private, loopback and
    # link-local ranges are refused unless WEBHOOKS_ALLOW_PRIVATE is set (tests, a closed net).
    webhooks_allow_private: bool = False
    webhook_max_attempts: int = Field(default=6, ge=1, le=20)
    # The first retry waits this long, each next one 4 times longer (30 s, 2 min, 8 min, ...).
    webhook_retry_base_seconds: float = Field(default=30.0, ge=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    google_client_id: str = ""
    google_client_secret: str = ""
    google_discovery_url: str = "https://accounts.google.com/.well-known/openid-configuration"

    # Generation jobs (services/studio/jobs.py). The longest one provider call may take (the network
    # providers' client timeout).
    provider_timeout_seconds: float = Field(default=120.0, gt=0)
    # A claimed job holds a lease that a heartbeat renews every third of it while the worker
    # runs; another delivery may take the job over only once the lease has expired (its worker
    # died). It must outlast one provider call, so that even a renewal missed for a whole call
    # does not hand a paid image to a second worker. Unset (0): the provider timeout plus 60 s.
    job_lease_seconds: float = Field(default=0.0, ge=0)
    generation_max_retries: int = Field(default=3, ge=0)
    generation_retry_base_delay: float = Field(default=0.5, ge=0)
    generation_retry_max_delay: float = Field(default=30.0, ge=0)
    # Backpressure (services/studio/backpressure.py): jobs one user may have queued or running at
    # once; queued jobs of everyone past which new ones are refused ("busy, try again in N s",
    # a 503 + Retry-After on the API); the N. Refusals come before any charge or row.
    max_active_jobs_per_user: int = Field(default=4, ge=1)
    max_queued_jobs: int = Field(default=500, ge=1)
    busy_retry_after_seconds: int = Field(default=30, ge=1, le=3600)
    # The embedded profile's in-process queue holds at most this many generation jobs waiting
    # for a thread (job_queue.py); past it new jobs are refused as busy.
    embedded_queue_size: int = Field(default=100, ge=1)
    # Per-model limits at the workers (provider_limits.py), as JSON:
    # {"dall-e-3": {"concurrency": 2, "per_second": 2}}. Shared by every worker through
    # Redis when REDIS_URL is set, else kept in process. Models not listed are not limited.
    provider_limits: dict[str, ProviderLimit] = Field(default_factory=dict)

    # Python's cyclic GC in the backend process (gc_tuning.py): objects allocated between two
    # young-generation collections; the start-up heap is frozen too. 0 keeps Python's own.
    gc_gen0_threshold: int = Field(default=50_000, ge=0)

    # Job events to pages (events.py): a Redis list the backend's listener pops.
    events_key: str = "pixel_studio:events"
    # Oldest events are trimmed past this length, so a backend that is down cannot make the
    # list grow without bound; the database stays the truth for anything trimmed.
    events_max_backlog: int = Field(default=10_000, ge=100)

    # Celery (workers/celery_app.py). The visibility timeout must exceed the longest task plus
    # its retry delays, or a running task is delivered again (the claim keeps that harmless).
    celery_queue: str = "pixel_studio"
    celery_visibility_timeout: int = Field(default=3600, ge=1)
    celery_soft_time_limit: int = Field(default=1500, ge=1)
    celery_time_limit: int = Field(default=1800, ge=1)
    # Seconds between sweeps that put a dead worker's unacknowledged tasks back on the queue.
    celery_unacked_restore_interval: int = Field(default=10, ge=1)

    signup_bonus_credits: int = Field(default=5, ge=0)
    session_days: int = Field(default=30, ge=1)
    login_attempts_per_window: int = Field(default=10, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    # New accounts per client address (IPv4, or IPv6 /64) within the window: each comes with
    # free credits. Input that is refused anyway does not count.
    signups_per_window: int = Field(default=5, ge=1)
    signup_window_seconds: int = Field(default=3600, ge=1)
    # Rate-limit tiers (services/rate_limits.py, moving window), per signed-in user or per
    # visitor's address: "<count>/<second|minute|hour|day>" or "<count> per <n> <unit>".
    # Sign-in attempts use LOGIN_ATTEMPTS_PER_WINDOW / LOGIN_WINDOW_SECONDS above.
    rate_limit_generation: str = Field(default="5/minute", pattern=RATE_LIMIT_PATTERN)
    rate_limit_financial: str = Field(default="10/minute", pattern=RATE_LIMIT_PATTERN)
    rate_limit_write: str = Field(default="30/minute", pattern=RATE_LIMIT_PATTERN)
    rate_limit_read: str = Field(default="60/minute", pattern=RATE_LIMIT_PATTERN)
    # Reverse proxies in front of the backends that append to X-Forwarded-For. 0 ignores the
    # header (it is client-controlled); behind one proxy set 1, or every user shares its IP
    # and the per-IP login limit locks everyone out together.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)

    # Email (pixel_studio/mail). SMTP_URL: smtp://user:pass@host:587 (STARTTLS) or
    # smtps://user:pass@host:465 (TLS); unset, every message is an .eml file in DATA_DIR/outbox.
    smtp_url: str = ""
    # The From address; unset: "Pixel Studio <no-reply@SITE_URL's host>".
    mail_from: str = Field(default="", max_length=320)
    # Account emails (verification, password reset) a network and an account may ask for.
    rate_limit_account_mail_network: str = Field(default="10/hour", pattern=RATE_LIMIT_PATTERN)
    rate_limit_account_mail: str = Field(default="3/hour", pattern=RATE_LIMIT_PATTERN)

    # Operations (logging_setup.py, metrics.py). LOG_FORMAT=text reads well on a terminal;
    # json (one object a line, with the request id) is what the Procfile and compose set.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Sentry error reports: nothing is sent (or imported) without a DSN.
    sentry_dsn: str = ""
    sentry_environment: str = Field(default="production", max_length=64)
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # /metrics asks for `Authorization: Bearer <token>` when set (else: keep it off the proxy).
    metrics_token: str = ""
    # Deployment defaults that fail closed (check_startup, api/hosts.py). A SITE_URL that is
    # not loopback with TRUSTED_PROXY_HOPS=0 means "no proxy in front": refused unless this
    # says the app really faces the internet itself (then every visitor's own address counts).
    direct_exposure: bool = False
    # Host names accepted besides SITE_URL's host and the loopback aliases (comma-separated),
    # e.g. the internal name a health probe uses. Any other Host header gets a 400.
    allowed_hosts: str = ""
    # Moderation (services/blocked_terms.py): words refused in prompts and comments, as a
    # comma-separated list or a JSON array; matched as whole words, case-insensitively.
    blocked_terms: str = ""

    @field_validator("blocked_terms")
    @classmethod
    def _blocked_terms_parse(cls, value: str) -> str:
        # Refused at start-up rather than at the first prompt (services/blocked_terms.py reads it).
        if value.strip().startswith("["):
            import json

            try:
                loaded = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"BLOCKED_TERMS is not a valid JSON array: {exc}") from None
            if not isinstance(loaded, list) or not all(isinstance(i, str) for i in loaded):
                raise ValueError("BLOCKED_TERMS as JSON must be an array of strings.")
        return value

    @field_validator("media_base_url")
    @classmethod
    def _media_base_url_absolute(cls, value: str) -> str:
        # Every public URL is this plus "/" plus a key: a path-relative or query-carrying base
        # would produce URLs that point somewhere else than the CDN.
        value = value.strip().rstrip("/")
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "MEDIA_BASE_URL must be an absolute http(s) URL, e.g. https://cdn.example.com"
            )
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("MEDIA_BASE_URL must not carry credentials, a query or a fragment")
        return value

    @field_validator("credit_packs")
    @classmethod
    def _packs_distinct(cls, packs: list[CreditPack]) -> list[CreditPack]:
        if not 1 <= len(packs) <= 6:
            raise ValueError("CREDIT_PACKS must list between 1 and 6 packs.")
        if len({p.id for p in packs}) != len(packs):
            raise ValueError("CREDIT_PACKS: every pack needs its own id.")
        return packs

    @model_validator(mode="after")
    def _lease_outlasts_provider_call(self) -> Self:
        if not self.job_lease_seconds:
            self.job_lease_seconds = self.provider_timeout_seconds + 60
        elif self.job_lease_seconds <= self.provider_timeout_seconds:
            raise ValueError(
                f"JOB_LEASE_SECONDS ({self.job_lease_seconds:g}) must be longer than "
                f"PROVIDER_TIMEOUT_SECONDS ({self.provider_timeout_seconds:g}), or a slow image "
                "call can be taken over by another worker and its image thrown away."
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'pixel_studio.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.site_url.startswith("https://")

    @property
    def socket_origins(self) -> list[str]:
        return site_origins(self.site_url)

    @property
    def payments_enabled(self) -> bool:
        """Both keys: a shop that cannot hear the webhook would take money without crediting."""
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def google_enabled(self) -> bool:
        return bool(self.google_client_id and self.google_client_secret)

    @property
    def disabled_plugin_names(self) -> frozenset[str]:
        return frozenset(n.strip() for n in self.disabled_plugins.split(",") if n.strip())

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def needs_secret_key(self) -> bool:
        """A key generated under data/ suits one machine. Served over https or sharing
        PostgreSQL, the site runs as several processes (often on several machines) that must
        all sign sessions and media links with one key, and a lost data/ must not log
        everyone out: SECRET_KEY is then required."""
        return self.secure_cookies or not self.is_sqlite

    @property
    def site_is_loopback(self) -> bool:
        """SITE_URL names this machine (a laptop's `make run`, a test): nothing is exposed."""
        return is_loopback_host(urlsplit(self.site_url.strip()).hostname or "")

    @property
    def trusted_hosts(self) -> list[str]:
        """Host header values the app answers (api/hosts.py): SITE_URL's host, every loopback
        alias (a local probe or `make run`), and ALLOWED_HOSTS."""
        site = (urlsplit(self.site_url.strip()).hostname or "").lower()
        site = f"[{site}]" if ":" in site else site  # an IPv6 Host header keeps its brackets
        extra = [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]
        return list(dict.fromkeys([site, *LOOPBACK_HOSTS, *extra]))

    def check_startup(self) -> None:
        """Raise SettingsError for a configuration the app, a worker or the CLI must not run
        with. Called where each of them starts."""
        if self.needs_secret_key and not self.secret_key:
            why = "SITE_URL is https" if self.secure_cookies else "the database is PostgreSQL"
            raise SettingsError(
                f"SECRET_KEY is not set, and it is required because {why}: every backend and "
                "worker must share one key. Set it to a long random value, for example the "
                "output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if not self.site_is_loopback and not self.trusted_proxy_hops and not self.direct_exposure:
            # The documented deployment has a proxy in front: with hops 0 every visitor would
            # share the proxy's address (one rate-limit bucket, /metrics seen as private).
            raise SettingsError(
                f"SITE_URL ({self.site_url}) is not loopback and TRUSTED_PROXY_HOPS is 0. Behind "
                "a reverse proxy set TRUSTED_PROXY_HOPS to the number of proxies in front of "
                "the app (usually 1); if the app really faces the internet with no proxy, set "
                "DIRECT_EXPOSURE=1."
            )

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept under data/ (embedded profile)."""
        if self.secret_key:
            return self.secret_key
        self.check_startup()
        return _read_or_create_key(self.data_dir / ".secret_key")


class SettingsError(RuntimeError):
    """A configuration the app must not start with; the message says what to set."""


def _read_or_create_key(path: Path, wait: float = 5.0) -> str:
    """Read the key file, creating it first if missing. O_EXCL makes creation atomic (of two
    processes starting together exactly one writes the key, the other reads it) and the mode
    is 0600 from the first byte, never world-readable until a later chmod."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        return key
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)  # made by an older version, or by hand
    # The winner may not have written the key yet: wait for it rather than read it empty.
    deadline = time.monotonic() + wait
    while not (key := path.read_text().strip()):
        if time.monotonic() > deadline:
            raise SettingsError(f"{path} is empty: delete it and a new key is generated.")
        time.sleep(0.01)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
