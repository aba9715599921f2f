"""Celery workers: the app and thin tasks that call services."""
