"""History search by seed and by date range, with keyset pages, and the search's field
errors (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from pixel_studio.models import GenerationJob, ImageSet
from pixel_studio.services.studio import sets
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import Events, make_user, submit_job


def _made_on(
    db: Engine,
    session: Session,
    settings: Settings,
    storage: LocalStorage,
    uid: int,
    day: datetime,
    **fields: object,
) -> GenerationJob:
    job = submit_job(session, uid, settings, **fields)
    run_job(job.id, engine=db, settings=settings, storage=storage, publish=Events())
    session.execute(update(ImageSet).where(col(ImageSet.job_id) == job.id).values(created_at=day))
    session.commit()
    return job


def _jobs(page: sets.SetPage) -> list[str]:
    return [item.set.job_id for item in page.items]


def test_search_by_seed_and_date_range(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "uma", 20)
    other = make_user(session, "vic", 5)
    nov1 = datetime(2026, 11, 1, 23, 59, tzinfo=UTC)
    nov2 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    nov3 = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    a = _made_on(db, session, settings, storage, uid, nov1, seed=41, count=3)  # seeds 41..43
    b = _made_on(db, session, settings, storage, uid, nov2, seed=1000)
    c = _made_on(db, session, settings, storage, uid, nov3, seed=42)
    _made_on(db, session, settings, storage, other, nov2, seed=42)  # someone else's

    # A seed matches any image of the set (a fixed seed advances per image).
    assert _jobs(sets.list_sets(session, uid, seed=42)) == [c.id, a.id]
    assert _jobs(sets.list_sets(session, uid, seed=43)) == [a.id]
    assert _jobs(sets.list_sets(session, uid, seed=7)) == []
    # Days are UTC days, both ends included.
    assert _jobs(sets.list_sets(session, uid, created_from=date(2026, 11, 2))) == [c.id, b.id]
    assert _jobs(sets.list_sets(session, uid, created_to=date(2026, 11, 1))) == [a.id]
    one_day = sets.list_sets(
        session, uid, created_from=date(2026, 11, 2), created_to=date(2026, 11, 2)
    )
    assert _jobs(one_day) == [b.id]
    # Filters combine, and keyset pages still walk them.
    both = sets.list_sets(session, uid, seed=42, created_to=date(2026, 11, 2))
    assert _jobs(both) == [a.id]
    first = sets.list_sets(session, uid, created_from=date(2026, 11, 1), limit=2)
    assert _jobs(first) == [c.id, b.id] and first.next_before is not None
    rest = sets.list_sets(
        session, uid, created_from=date(2026, 11, 1), before=first.next_before, limit=2
    )
    assert _jobs(rest) == [a.id] and rest.next_before is None


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ({"seed": "abc"}, "seed", "whole number"),
        ({"seed": "-1"}, "seed", "whole number"),
        ({"seed": str(2**32)}, "seed", "4,294,967,295"),
        ({"from": "2026-13-01"}, "from", "YYYY-MM-DD"),
        ({"to": "yesterday"}, "to", "YYYY-MM-DD"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "to", "before the start date"),
    ],
)
def test_bad_searches_are_refused_at_their_field(
    raw: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(sets.SearchErrors) as err:
        sets.parse_search(raw)
    assert words in err.value.errors[field]


def test_a_good_search_parses() -> None:
    found = sets.parse_search({"q": " fox ", "seed": "42", "from": "2026-11-01", "to": ""})
    assert found == sets.SetSearch("fox", "", 42, date(2026, 11, 1), None)


def test_the_search_walks_the_users_index(engine: Engine) -> None:
    """The real statement of a seed + date-range page: each database walks the
    (user_id, created_at) index of image_set and probes image by set_id — never a scan of
    every set or every image."""
    stmt = sets.sets_statement(
        1, seed=42, created_from=date(2026, 11, 1), created_to=date(2026, 11, 30), limit=12
    )
    compiled = stmt.compile(dialect=engine.dialect)
    sql = str(compiled)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            args = tuple(compiled.params[name] for name in compiled.positiontup or ())
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, args).all()
            plan = " | ".join(str(row[-1]) for row in rows)
        else:
            # Empty tables: with sequential scans priced out, the plan shows what it can use.
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + sql, compiled.params).all()
            plan = " | ".join(str(row[0]) for row in rows)
    assert "ix_image_set_user_id_created_at" in plan, plan
    assert "ix_image_set_id" in plan, plan
    assert "SCAN image_set" not in plan and "Seq Scan" not in plan, plan
