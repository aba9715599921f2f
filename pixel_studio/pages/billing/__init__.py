"""Billing pages: /credits."""
