"""services/social/term_stats.py: search terms looked up in PostgreSQL's statistics of
image.search, stemmed as PostgreSQL stems them, so a rare term skips the index walk."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.services.social import explore, term_stats
from pixel_studio.services.social.explore import ExploreQuery, load_explore
from tests.db_fixtures import migrated_engine
from tests.services.discovery_helpers import add_image
from tests.services.generation_helpers import make_user

WORDS = ["Foxes", "running", "jumped", "quokka", "tok123", "2foxes", "beautifully", "cities"]


@pytest.fixture
def pg_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    # A database of its own: the statistics are per database, and ANALYZE is run here.
    yield from migrated_engine("postgresql", tmp_path_factory.mktemp("pg"))
    term_stats._by_engine.clear()


def test_terms_are_stemmed_as_postgresql_stems_them(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        for word in WORDS:
            theirs = conn.execute(text("SELECT to_tsvector('english', :w)::text"), {"w": word})
            assert f"'{term_stats.lexeme(word)}'" in str(theirs.scalar_one()), word


def test_a_rare_term_skips_the_walk_and_finds_the_same_rows(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(pg_engine) as session:
        ann = make_user(session, "ann", 0)
        foxes = [add_image(session, ann, f"a fox number {i}") for i in range(100)]
        quokka = add_image(session, ann, "a quokka")
    with pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE image"))
    with pg_engine.connect() as conn:
        common = term_stats.frequencies(conn)
        assert common[term_stats.lexeme("foxes")] > 0.9
        assert term_stats.any_rare(conn, ["fox", "quokkas"], 0.05)  # 1 row in 101: rare
        assert not term_stats.any_rare(conn, ["Foxes"], 0.05)
    walked: list[object] = []
    real_probe = explore._probe_stmt

    def probe(*args: object) -> object:
        walked.append(args)
        return real_probe(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(explore, "_probe_stmt", probe)
    with Session(pg_engine) as session:
        assert [c.id for c in load_explore(session, ExploreQuery(q="quokka")).items] == [quokka]
        assert walked == []  # straight to the GIN index
        page = load_explore(session, ExploreQuery(q="fox", limit=5))
        assert [c.id for c in page.items] == sorted(foxes, reverse=True)[:5]
        assert len(walked) == 1  # a common word walks the index


def test_without_statistics_nothing_is_called_rare(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        assert term_stats.frequencies(conn) == {}
        assert not term_stats.any_rare(conn, ["quokka"], 0.5)
