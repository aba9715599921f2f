"""Account pages: sign-up, log-in, mailed links and settings."""
