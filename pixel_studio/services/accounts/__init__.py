"""Accounts: sign-up, sign-in, sessions, tokens, mailed links, export, deletion."""
