"""Billing: buying credits through Stripe, refunds and disputes (the ledger: services/credits.py)."""
