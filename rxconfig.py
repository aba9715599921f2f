"""Reflex configuration. Everything product-specific lives in pixel_studio.settings."""

import reflex as rx

from pixel_studio.components.theme import app_theme
from pixel_studio.frontend_build import FirstPaintBuild
from pixel_studio.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="pixel_studio",
    # The socket accepts only our own site (Reflex allows any origin by default); on loopback
    # that is every loopback alias of SITE_URL's port (settings.site_origins).
    cors_allowed_origins=settings.socket_origins,
    deploy_url=settings.site_url.rstrip("/"),
    # Production profile: state in Redis, so several backend processes can serve the socket.
    redis_url=settings.redis_url or None,
    trusted_proxy_hops=settings.trusted_proxy_hops,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # FirstPaintBuild: /image/<id> and /u/<name> get prerendered shells (issue 16).
    plugins=[rx.plugins.RadixThemesPlugin(theme=app_theme()), FirstPaintBuild()],
    disable_plugins=[rx.plugins.SitemapPlugin],
    # Build-time sidecars for the static files; brotli first, so a browser that takes both gets
    # it (Chromium asks for br over HTTPS and on loopback): /explore's 33 scripts and styles are
    # 354 KiB gzipped, 288 KiB brotli, for ~5 s more CPU per build (issue 16;
    # api/static_cache.py adds the cache headers).
    frontend_compression_formats=["brotli", "gzip"],
)
