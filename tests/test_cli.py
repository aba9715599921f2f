"""The `pixel-studio` command, run in-process against the test databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio import cli, cli_demo
from pixel_studio.db import get_engine
from pixel_studio.models import (
    AuditLog,
    Collection,
    CollectionImage,
    Comment,
    CreditKind,
    CreditTransaction,
    Follow,
    Image,
    Like,
    User,
)
from pixel_studio.services import credits, users
from pixel_studio.settings import get_settings


def point_at(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> None:
    """Make the CLI's settings and engine use `url`, as `DATABASE_URL=... pixel-studio` would."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.delenv("SIGNUP_BONUS_CREDITS", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    yield
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def on_db(db: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    point_at(monkeypatch, db.url.render_as_string(hide_password=False), tmp_path)
    return db


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_db_upgrade_builds_an_empty_sqlite_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_file = tmp_path / "fresh.db"
    point_at(monkeypatch, f"sqlite:///{db_file}", tmp_path)
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "latest schema" in out
    assert "user_account" in inspect(get_engine()).get_table_names()
    # Running it again (as `make run` does at each start) is a no-op.
    assert run(capsys, "db", "upgrade")[0] == 0


def test_create_user_and_admin(on_db: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "create-user", "Alice", "alice@example.com", "--password", "p4ssw0rd!"
    )
    assert code == 0 and "alice" in out
    code, out, _ = run(
        capsys, "create-user", "root", "root@example.com", "--password", "p4ssw0rd!", "--admin"
    )
    assert code == 0 and "admin" in out
    with Session(on_db) as s:
        alice = users.find_by_username(s, "alice")
        root = users.find_by_username(s, "root")
        assert alice is not None and root is not None
        assert not alice.is_admin and root.is_admin
        assert users.verify_password(alice, "p4ssw0rd!")
        assert alice.credits == 5 and credits.ledger_sum(s, alice.id or 0) == 5


def test_create_user_reads_a_piped_password(
    on_db: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin-1\n"))
    assert run(capsys, "create-user", "piped", "piped@example.com")[0] == 0
    with Session(on_db) as s:
        user = users.find_by_username(s, "piped")
        assert user is not None and users.verify_password(user, "from-stdin-1")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create-user", "ab", "x@example.com", "--password", "longenough"], "3–20 characters"),
        (["create-user", "bob", "not-an-email", "--password", "longenough"], "valid email"),
        (["create-user", "bob", "bob@example.com", "--password", "short"], "at least 8"),
        (["create-user", "taken", "new@example.com", "--password", "longenough"], "taken"),
        (["grant-credits", "nobody", "5"], "No user named"),
        (["grant-credits", "taken", "0"], "must not be zero"),
        (["grant-credits", "taken", "-6"], "never goes below zero"),
    ],
)
def test_refusals_are_one_line_with_exit_2(
    on_db: Engine, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with Session(on_db) as s:
        users.create_user(s, "taken", "taken@example.com", "longenough", bonus=5)
        s.commit()
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    with Session(on_db) as s:
        assert len(s.exec(select(User)).all()) == 1  # nothing written
        assert len(s.exec(select(CreditTransaction)).all()) == 1


def test_grant_credits_writes_an_admin_ledger_row(
    on_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "create-user", "carol", "carol@example.com", "--password", "longenough")
    code, out, _ = run(capsys, "grant-credits", "Carol", "20", "--note", "contest prize")
    assert code == 0 and "25" in out
    code, out, _ = run(capsys, "grant-credits", "carol", "-25")
    assert code == 0 and "now has 0" in out
    with Session(on_db) as s:
        carol = users.find_by_username(s, "carol")
        assert carol is not None and carol.id is not None
        rows = s.exec(
            select(CreditTransaction)
            .where(CreditTransaction.user_id == carol.id)
            .order_by(col(CreditTransaction.id))
        ).all()
        assert [(r.kind, r.amount, r.balance_after) for r in rows] == [
            (CreditKind.bonus, 5, 5),
            (CreditKind.admin, 20, 25),
            (CreditKind.admin, -25, 0),
        ]
        assert rows[1].note == "contest prize"
        assert carol.credits == 0 == credits.ledger_sum(s, carol.id)


def test_grant_credits_writes_one_audit_row_each_and_none_when_refused(
    on_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "create-user", "dora", "dora@example.com", "--password", "longenough")
    run(capsys, "grant-credits", "dora", "7", "--note", "beta tester")
    run(capsys, "grant-credits", "dora", "-2")
    code, _, _ = run(capsys, "grant-credits", "dora", "-99")  # refused: below zero
    assert code == 2
    with Session(on_db) as s:
        dora = users.find_by_username(s, "dora")
        assert dora is not None
        rows = s.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        assert [(r.action, r.target_id, r.actor_id, r.reason) for r in rows] == [
            ("credits.grant", str(dora.id), None, "beta tester"),
            ("credits.remove", str(dora.id), None, "Removed by an admin"),
        ]
        assert rows[0].details == {"amount": 7, "balance_after": 12, "via": "cli"}


def test_seed_demo_is_idempotent(
    on_db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_db_media = tmp_path / "media"
    code, out, _ = run(capsys, "seed-demo", "--images", "0")
    assert code == 0
    for demo in cli.DEMO_USERS:
        assert demo.username in out and demo.password in out  # printed once, at creation
    with Session(on_db) as s:
        for demo in cli.DEMO_USERS:
            user = users.find_by_username(s, demo.username)
            assert user is not None and users.verify_password(user, demo.password)
            assert credits.ledger_sum(s, user.id or 0) == user.credits == 5
            images = s.exec(select(Image).where(Image.user_id == user.id)).all()
            assert len(images) == len(demo.prompts) * cli.DEMO_IMAGES_PER_SET
            assert {i.prompt for i in images} == set(demo.prompts)
            assert all(not i.private for i in images)
            assert all((on_db_media / i.thumbnail_key).is_file() for i in images)
        count = len(s.exec(select(User)).all())

    code, out, _ = run(capsys, "seed-demo", "--images", "0")
    assert code == 0 and "already exist" in out
    assert not any(demo.password in out for demo in cli.DEMO_USERS)
    with Session(on_db) as s:
        assert len(s.exec(select(User)).all()) == count


def test_seed_demo_skips_only_existing_users(
    on_db: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    first = cli.DEMO_USERS[0]
    with Session(on_db) as s:
        users.create_user(s, first.username, "someone@example.com", "their own pw", bonus=5)
        s.commit()
    code, out, _ = run(capsys, "seed-demo", "--images", "0")
    assert code == 0
    assert first.password not in out
    assert all(d.username in out for d in cli.DEMO_USERS[1:])
    with Session(on_db) as s:
        kept = users.find_by_username(s, first.username)
        assert kept is not None and users.verify_password(kept, "their own pw")


def test_unreachable_database_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    point_at(monkeypatch, "postgresql+psycopg://postgres:hunter2@127.0.0.1:9/none", tmp_path)
    code, _, err = run(capsys, "grant-credits", "alice", "1")
    assert code == 1
    assert err.startswith("error: database") and err.count("\n") == 1
    assert "hunter2" not in err  # the password never reaches the terminal


def test_missing_command_shows_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main([])
    assert exit_.value.code == 2
    assert "usage: pixel-studio" in capsys.readouterr().err


def test_seed_demo_gallery_is_alive_and_idempotent(
    on_db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "seed-demo", "--images", "12")
    assert code == 0 and "Gallery: 12 images in 2 sets" in out and "Done in" in out
    gallery = list(cli_demo.GALLERY_USERS)
    with Session(on_db) as s:
        owners = s.exec(select(User).where(col(User.username).in_(gallery))).all()
        assert len(owners) == len(gallery) and all(u.password_hash is None for u in owners)
        images = s.exec(select(Image).where(col(Image.user_id).in_([u.id for u in owners]))).all()
        assert len(images) == 12 and len({i.user_id for i in images}) == 2
        assert all((tmp_path / "media" / i.thumbnail_key).is_file() for i in images)
        assert all(i.width == 512 and not i.private for i in images)
        assert sum(1 for i in images if i.title) == 4  # every third
        like_rows = s.exec(select(Like)).all()
        assert like_rows and sum(i.like_count for i in images) == len(like_rows)
        notes = s.exec(select(Comment)).all()
        assert len(notes) == 3 + 2 + 1  # images 0, 4, 8; replies on 0 and 8; 0 goes deeper
        assert sum(1 for c in notes if c.parent_id is not None) == 3
        assert sum(i.comment_count for i in images) == len(notes)
        assert len(s.exec(select(Follow)).all()) == 3 * (len(cli.DEMO_USERS) + len(gallery))
        shelves = s.exec(select(Collection)).all()
        assert sorted(c.title for c in shelves) == ["Favourites", "Night scenes"]
        assert len(s.exec(select(CollectionImage)).all()) == 16
        counts = [len(s.exec(select(t)).all()) for t in (Image, Like, Comment, Follow, Collection)]

    code, out, _ = run(capsys, "seed-demo", "--images", "12")
    assert code == 0 and "nothing to do" in out and "Done in" in out
    with Session(on_db) as s:
        again = [len(s.exec(select(t)).all()) for t in (Image, Like, Comment, Follow, Collection)]
    assert again == counts


def test_seed_demo_refuses_a_bad_image_count(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("-1", "x", "10001", "²"):
        with pytest.raises(SystemExit) as exit_:
            cli.main(["seed-demo", "--images", bad])
        assert exit_.value.code == 2
        assert "--images" in capsys.readouterr().err


def test_seed_demo_of_40_images_is_not_stopped_by_the_write_tier(
    on_db: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seeding goes through the social services, which count the write tier per user: the
    CLI's trusted bulk work is exempt, so a tier far smaller than the seed's writes (one per
    hour here) refuses nothing and every like, comment, follow and collection is made."""
    monkeypatch.setenv("RATE_LIMIT_WRITE", "1 per 1 hour")
    get_settings.cache_clear()
    code, out, err = run(capsys, "seed-demo", "--images", "40")
    assert code == 0, err
    assert "Gallery: 40 images in 4 sets" in out and "Too many" not in out + err
    with Session(on_db) as s:
        like_rows = s.exec(select(Like)).all()
        assert len(like_rows) > 2  # more writes per user than the tier allows
        assert len(s.exec(select(Comment)).all()) > 2
        assert s.exec(select(Follow)).all() and len(s.exec(select(Collection)).all()) == 2
