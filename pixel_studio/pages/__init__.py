"""Pages: compose components and bind them to state. No DB, no services."""
