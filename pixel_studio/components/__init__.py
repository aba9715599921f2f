"""Reusable UI pieces: the app shell, form helpers and the theme. UI only: no DB, no services."""
