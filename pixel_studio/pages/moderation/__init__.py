"""Moderation pages: /admin, /admin/reports, /admin/audit."""
