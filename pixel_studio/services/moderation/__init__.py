"""Moderation: admin work, reports and the audit log (blocked terms: services/blocked_terms.py)."""
