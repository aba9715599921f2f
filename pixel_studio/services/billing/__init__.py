"""Billing: buying credits through Stripe, refunds, disputes (the ledger: services/credits.py)."""
