"""What every table module shares: SQLModel with the project's constraint naming convention
(set here, before any table is defined: every table module imports this one), and the job
status that generation jobs and account jobs both use."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import SQLModel

# Naming convention so constraints and indexes get stable names on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


__all__ = ["JobStatus", "SQLModel"]
