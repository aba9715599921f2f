"""Integrations for API users: webhooks, their signed deliveries and retries."""
