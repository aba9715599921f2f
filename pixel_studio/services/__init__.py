"""Business logic as plain functions over a DB session. No Reflex, no HTTP."""
