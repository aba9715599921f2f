"""bench/discovery.py's data: a fresh database filled with psycopg 3 COPY (images, users,
sets/jobs, likes, comments, follows in proportion), indexes built after the load, then
VACUUM ANALYZE. Not a benchmark of its own (the leading underscore keeps `make bench` off it).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta

import psycopg

from pixel_studio.models import HOT_EPOCH_DIVISOR

WORDS = [
    "fox",
    "cat",
    "dog",
    "tree",
    "sky",
    "sea",
    "moon",
    "sun",
    "red",
    "blue",
    "green",
    "castle",
    "forest",
    "city",
    "river",
    "night",
    "day",
    "storm",
    "cloud",
    "bird",
]
SPAN = timedelta(days=30)  # created_at spread over 30 days at every size: same share in 7d


def load(url: str, n: int) -> dict[str, float]:
    """Fill the database with n images and proportional rows; returns timings (s)."""
    users = max(50, n // 100)
    per_set = 4
    sets = math.ceil(n / per_set)
    now = datetime.now(UTC)
    step = SPAN / n
    timings: dict[str, float] = {}
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        tables = ["image", "image_like", "comment", "follow", "image_set", "generation_job"]
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        ).fetchall()
        for name, _ in rows:  # rebuilt after the load: far faster than row by row
            conn.execute(f'DROP INDEX "{name}"')
        # Foreign keys and the like are consistent by construction: skip their triggers.
        conn.execute("SET session_replication_role = replica")
        t = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy(
                "COPY user_account (id, username, email, credits, is_admin, default_private,"
                " created_at) FROM STDIN"
            ) as copy:
                for u in range(1, users + 1):
                    copy.write_row((u, f"user{u}", f"user{u}@bench.test", 0, False, False, now))
            with cur.copy(
                "COPY generation_job (id, user_id, params, status, done, total,"
                " credits_charged, credits_refunded, attempts, created_at) FROM STDIN"
            ) as copy:
                for s in range(1, sets + 1):
                    owner = s * 7919 % users + 1
                    copy.write_row((f"j{s}", owner, "{}", "succeeded", 4, 4, 4, 0, 1, now))
            with cur.copy(
                "COPY image_set (id, user_id, job_id, prompt, model, params, created_at) FROM STDIN"
            ) as copy:
                for s in range(1, sets + 1):
                    owner = s * 7919 % users + 1
                    copy.write_row((s, owner, f"j{s}", "p", "local-sketch", "{}", now))
            with cur.copy(
                "COPY image (id, user_id, set_id, prompt, title, model, style, params, width,"
                " height, seed, private, original_key, thumbnail_key, like_count,"
                " comment_count, created_at, hot) FROM STDIN"
            ) as copy:
                for i in range(1, n + 1):
                    s = (i - 1) // per_set + 1
                    likes = i % 5
                    created = now - step * i
                    hot = math.log10(max(likes, 1)) + created.timestamp() / HOT_EPOCH_DIVISOR
                    prompt = f"{WORDS[i % 20]} {WORDS[(i // 20) % 20]} tok{i}"
                    title = f"{WORDS[(i // 7) % 20]} study" if i % 4 == 0 else None
                    key = f"images/u{s * 7919 % users + 1}/s{s}/{i}"
                    copy.write_row(
                        (i, s * 7919 % users + 1, s, prompt, title, "local-sketch",
                         None, "{}", 256, 256, i, i % 10 == 0, f"{key}.png", f"{key}.webp",
                         likes, 1 if i % 3 == 0 else 0, created, hot)
                    )  # fmt: skip
            with cur.copy("COPY image_like (user_id, image_id, created_at) FROM STDIN") as copy:
                for i in range(1, n + 1):
                    for j in range(i % 5):
                        copy.write_row(((i + j * 37) % users + 1, i, now))
            with cur.copy(
                "COPY comment (user_id, image_id, body, deleted, like_count, created_at) FROM STDIN"
            ) as copy:
                for i in range(3, n + 1, 3):
                    copy.write_row(
                        ((i * 31) % users + 1, i, f"nice {WORDS[i % 20]}", False, 0, now)
                    )
            with cur.copy("COPY follow (follower_id, followee_id, created_at) FROM STDIN") as copy:
                for u in range(1, users + 1):
                    for j in range(1, 11):
                        copy.write_row((u, (u - 1 + j * 13) % users + 1, now))
        timings["copy"] = time.perf_counter() - t
        conn.execute("SET session_replication_role = origin")
        for table, column in (("user_account", "id"), ("image_set", "id"), ("image", "id"),
                              ("comment", "id")):  # fmt: skip
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" (SELECT max({column}) FROM {table}))"
            )
        t = time.perf_counter()
        for _, definition in rows:
            conn.execute(definition)
        timings["indexes"] = time.perf_counter() - t
        t = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        timings["vacuum_analyze"] = time.perf_counter() - t
    return timings
