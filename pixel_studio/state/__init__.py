"""Reflex state classes: turn UI events into service calls and hold what the pages show."""
