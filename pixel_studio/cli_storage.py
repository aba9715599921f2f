"""`pixel-studio storage …`: removing unreferenced files, moving misplaced ones, and the S3
bucket policy.

Kept apart from cli.py (which registers these commands) so the storage commands and their
duration parsing live in one place.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta
from typing import Any

from pixel_studio.db import session_scope
from pixel_studio.services.errors import InvalidInput
from pixel_studio.services.operations.storage_sweep import DEFAULT_OLDER_THAN, sweep_orphans
from pixel_studio.services.studio.images import move_misplaced_files
from pixel_studio.settings import get_settings
from pixel_studio.storage import get_storage

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 3600}
LISTED_KEYS = 50  # a dry run shows this many keys, then a count


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `24h`, `7d`, or a bare number of hours."""
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: use a number with s, m, h or d, e.g. 24h or 7d"
        )
    return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2]])


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


def cmd_sweep(args: argparse.Namespace) -> int:
    older_than: timedelta = args.older_than
    storage = get_storage()
    with session_scope() as session:
        report = sweep_orphans(session, storage, older_than=older_than, dry_run=args.dry_run)
    verb = "Would remove" if report.dry_run else "Removed"
    print(
        f"Scanned {report.scanned} files: {verb.lower()} {len(report.orphans)} that no row "
        f"refers to ({_size(report.orphan_bytes)}); kept {report.recent} younger than "
        f"{older_than} and {report.unknown} outside the app's folders."
    )
    if report.dry_run:
        for key in report.orphans[:LISTED_KEYS]:
            print(f"  {key}")
        if len(report.orphans) > LISTED_KEYS:
            print(f"  … and {len(report.orphans) - LISTED_KEYS} more")
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    with session_scope() as session:
        moved = move_misplaced_files(session, get_storage())
    print(f"Moved the files of {moved} image(s) to where their privacy says.")
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.s3_bucket:
        raise InvalidInput("S3_BUCKET is not set: local storage needs no bucket policy.")
    from pixel_studio.storage.s3 import public_read_policy  # boto3 only when asked for S3

    policy: dict[str, Any] = public_read_policy(settings.s3_bucket, settings.s3_prefix)
    print(json.dumps(policy, indent=2))
    return 0


def register(commands: Any) -> None:
    """Add `storage sweep` and `storage policy` to the top-level subparsers."""
    storage = commands.add_parser("storage", help="stored files")
    actions = storage.add_subparsers(dest="storage_command", required=True, metavar="ACTION")
    sweep = actions.add_parser("sweep", help="remove files that no image or avatar refers to")
    sweep.add_argument(
        "--older-than",
        type=parse_duration,
        default=DEFAULT_OLDER_THAN,
        metavar="AGE",
        help="only files older than this (default 24h; younger ones may be mid-upload)",
    )
    sweep.add_argument("--dry-run", action="store_true", help="list them, delete nothing")
    sweep.set_defaults(func=cmd_sweep)
    rekey = actions.add_parser(
        "rekey",
        help="move files of private images stored outside private/ (once, after upgrading)",
    )
    rekey.set_defaults(func=cmd_rekey)
    policy = actions.add_parser("policy", help="print the S3 bucket policy to apply")
    policy.set_defaults(func=cmd_policy)
