"""The `pixel-studio` command: database upgrades and account administration.

Every command talks to the database named by the settings (DATABASE_URL, or the embedded
SQLite file), through the same services the web app uses, so the rules (username format,
ledger rows, never-negative balances) are the same from a terminal as from the site.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from pixel_studio import cli_demo, cli_storage, migrations
from pixel_studio.db import session_scope
from pixel_studio.events import JobEvent
from pixel_studio.logging_setup import configure_logging
from pixel_studio.models import CreditKind
from pixel_studio.services import credits, users
from pixel_studio.services.errors import InsufficientCredits, InvalidInput, NotFound, ServiceError
from pixel_studio.services.moderation import audit
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import SettingsError, get_settings

# Exit codes: 2 for a refusal a person can fix (bad input, unknown user), 1 for the
# environment (database unreachable or not migrated), 130 for Ctrl-C, as shells expect.
EXIT_REFUSED = 2
EXIT_ENVIRONMENT = 1
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    password: str
    prompts: tuple[str, ...] = ()


# Fixed, published passwords: these accounts exist so a new install has something to look
# at, never on a public site.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "ada",
        "ada@demo.pixel-studio.test",
        "ada-demo-2026",
        ("golden sun over a calm sea", "crimson mountains at night under the moon"),
    ),
    DemoUser(
        "grace",
        "grace@demo.pixel-studio.test",
        "grace-demo-2026",
        ("a teal forest in the morning mist",),
    ),
    DemoUser(
        "linus",
        "linus@demo.pixel-studio.test",
        "linus-demo-2026",
        ("neon city skyline at night", "abstract purple and orange shapes"),
    ),
)


def _safe_url(url: str) -> str:
    """The database URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the engine itself later
        return url


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    url = get_settings().resolved_database_url
    migrations.upgrade(url)
    print(f"Database is at the latest schema ({_safe_url(url)}).")
    return 0


def _read_password() -> str:
    if not sys.stdin.isatty():
        # Scripted use (`echo "$PW" | pixel-studio create-user ...`): one line, no echo games.
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    if first != second:
        raise InvalidInput("The two passwords differ.", field="password")
    return first


def cmd_create_user(args: argparse.Namespace) -> int:
    password = args.password if args.password is not None else _read_password()
    settings = get_settings()
    with session_scope() as session:
        user = users.create_user(
            session,
            args.username,
            args.email,
            password,
            bonus=settings.signup_bonus_credits,
            is_admin=args.admin,
        )
        role = "admin" if user.is_admin else "user"
        print(f"Created {role} {user.username} (id {user.id}) with {user.credits} credits.")
    return 0


def cmd_grant_credits(args: argparse.Namespace) -> int:
    amount: int = args.amount
    if amount == 0:
        raise InvalidInput("N must not be zero.", field="amount")
    with session_scope() as session:
        user = users.find_by_username(session, args.username)
        if user is None or user.id is None:
            raise NotFound(f"No user named {args.username!r}.")
        note = args.note or ("Granted by an admin" if amount > 0 else "Removed by an admin")
        try:
            entry = credits.change_balance(session, user.id, amount, CreditKind.admin, note=note)
            # The audit log holds every admin action, this one too (no signed-in actor).
            audit.record(
                session,
                None,
                audit.Action.credits_grant if amount > 0 else audit.Action.credits_remove,
                "user",
                user.id,
                reason=note,
                details={"amount": amount, "balance_after": entry.balance_after, "via": "cli"},
            )
        except InsufficientCredits:
            # Say what the balance is: the person can then choose a number that fits.
            raise InsufficientCredits(
                f"Cannot remove {-amount} credits from {user.username}: the balance is "
                f"{user.credits} and never goes below zero."
            ) from None
        verb = "Granted" if amount > 0 else "Removed"
        print(f"{verb} {abs(amount)} credits: {user.username} now has {entry.balance_after}.")
    return 0


DEMO_IMAGES_PER_SET = 2


def seed_demo() -> list[DemoUser]:
    """Create the demo accounts that do not exist yet, each with a few public image sets made
    by the local generator through the real pipeline; returns the accounts created."""
    settings = get_settings()
    created: list[DemoUser] = []
    for demo in DEMO_USERS:
        with session_scope() as session:
            taken = users.find_by_login(session, demo.username) or users.find_by_login(
                session, demo.email
            )
            if taken is not None:
                continue
            user = users.create_user(
                session,
                demo.username,
                demo.email,
                demo.password,
                bonus=settings.signup_bonus_credits,
            )
            user_id = user.id or 0
        for prompt in demo.prompts:
            with session_scope() as session:
                # Paid for by an admin grant, so the account keeps its welcome credits.
                credits.change_balance(
                    session, user_id, DEMO_IMAGES_PER_SET, CreditKind.admin, note="Demo images"
                )
            with session_scope() as session:
                generation.create_job(
                    session,
                    user_id,
                    {"model": "local-sketch", "prompt": prompt, "count": DEMO_IMAGES_PER_SET},
                    settings,
                    # Inline, not queued: the command ends when the images exist.
                    enqueue=partial(run_job, settings=settings, publish=_quiet),
                    publish=_quiet,
                )
        created.append(demo)
    return created


def _quiet(_event: JobEvent) -> None:
    """No page is open to a command-line job: its events go nowhere."""


def cmd_seed_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    created = seed_demo()
    if not created:
        print("Demo users already exist.")
    else:
        # Printed only when the accounts are made, so a re-run stays quiet.
        print("Created demo users (sign in with these):")
        width = max(len(d.username) for d in created)
        for demo in created:
            print(f"  {demo.username:<{width}}  password: {demo.password}")
    names = tuple(d.username for d in DEMO_USERS)
    made = cli_demo.seed_gallery(names, args.images)
    seconds = time.perf_counter() - started
    if made.images or made.collections:
        print(
            f"Gallery: {made.images} images in {made.jobs} sets, {made.titles} titles, "
            f"{made.likes} likes, {made.comments} comments + {made.replies} replies, "
            f"{made.follows} follows, {made.collections} collections."
        )
    else:
        print(f"Gallery already has {args.images} images; nothing to do.")
    print(f"Done in {seconds:.1f} s.")
    return 0


def _count(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 10_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 0 to 10000")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pixel-studio", description="Pixel Studio administration."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    create = commands.add_parser("create-user", help="create an account")
    create.add_argument("username")
    create.add_argument("email")
    create.add_argument("--password", help="the password (asked for when left out)")
    create.add_argument("--admin", action="store_true", help="make the account an admin")
    create.set_defaults(func=cmd_create_user)

    grant = commands.add_parser(
        "grant-credits", help="add (or with a negative N remove) credits, as an admin ledger row"
    )
    grant.add_argument("username")
    grant.add_argument("amount", metavar="N", type=int)
    grant.add_argument("--note", default="", help="why (kept in the ledger)")
    grant.set_defaults(func=cmd_grant_credits)

    seed = commands.add_parser(
        "seed-demo", help="create demo users and a gallery around them (skips what exists)"
    )
    seed.add_argument(
        "--images",
        type=_count,
        default=cli_demo.DEFAULT_IMAGES,
        metavar="N",
        help=f"gallery images to have in all (default {cli_demo.DEFAULT_IMAGES}; 0: none)",
    )
    seed.set_defaults(func=cmd_seed_demo)

    cli_storage.register(commands)

    plugins_cmd = commands.add_parser(
        "plugins", help="list the plugins: name, group, where each comes from, its status"
    )
    plugins_cmd.set_defaults(func=cmd_plugins)

    metrics_cmd = commands.add_parser("metrics", help="Prometheus multi-process metrics")
    metrics_actions = metrics_cmd.add_subparsers(dest="metrics_command", required=True)
    reset = metrics_actions.add_parser(
        "reset", help="empty PROMETHEUS_MULTIPROC_DIR (before the processes start, never during)"
    )
    reset.set_defaults(func=cmd_metrics_reset)
    return parser


def cmd_plugins(_args: argparse.Namespace) -> int:
    """Every plugin, built-in or installed, as discovery found it (a skipped one says why)."""
    from pixel_studio.plugins.discovery import all_records

    rows = [("NAME", "GROUP", "SOURCE", "STATUS")]
    rows += [(r.name, r.group, r.source, r.status) for r in all_records()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[3]]))
    return 0


def cmd_metrics_reset(_args: argparse.Namespace) -> int:
    from pixel_studio.metrics import MULTIPROC_ENV, reset_multiproc_dir

    path = reset_multiproc_dir()
    print(f"emptied {path}" if path else f"{MULTIPROC_ENV} is not set: nothing to reset")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        get_settings().check_startup()
        configure_logging("cli")
        return func(args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED
    except SQLAlchemyError as exc:
        # One line, not a traceback: the driver's first line says what went wrong.
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        url = _safe_url(get_settings().resolved_database_url)
        print(
            f"error: database {url}: {detail} "
            "(is DATABASE_URL right, and has `pixel-studio db upgrade` run?)",
            file=sys.stderr,
        )
        return EXIT_ENVIRONMENT
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
