"""Business logic as plain functions over a DB session. No Reflex, no HTTP.

One package a domain (accounts, studio, social, billing, moderation, integrations,
operations); the modules at this level are what every domain stands on and import no domain:
errors, the visibility rule, users, the credit ledger, cache scopes (cached), rate limits,
keyset paging (social_sql) and the blocked-terms list. `make lint` (import-linter) keeps the
domains free of cycles.
"""
