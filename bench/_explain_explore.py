#!/usr/bin/env python
# ruff: noqa: E501  (a helper: long SQL literals, kept as written)
# .venv/bin/python bench/_explain_explore.py [N=100000]
# A helper, not a benchmark (`make bench` skips bench/_*.py): bench/discovery.py prints the
# same plans (EXPLAIN ANALYZE of every statement the services run) at 10k and 1M images.
"""EXPLAIN ANALYZE the explore queries on a scratch PostgreSQL database with N public images."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for tests.*
from sqlalchemy import event, text
from sqlmodel import Session

from pixel_studio.db import make_engine
from pixel_studio.migrations import upgrade
from pixel_studio.services.social.explore import ExploreQuery, load_explore
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
name = create_pg_database()
try:
    url = pg_url(name)
    upgrade(url)
    engine = make_engine(url)
    words = "fox cat dog tree sky sea moon sun red blue green castle forest city river night day storm cloud bird"
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO user_account (id, username, email, credits, is_admin, default_private, created_at) VALUES (1,'u','u@x',0,false,false,now())"
            )
        )
        c.execute(
            text(
                "INSERT INTO generation_job (id,user_id,params,status,done,total,credits_charged,credits_refunded,attempts,created_at) VALUES ('j',1,'{}','succeeded',1,1,0,0,0,now())"
            )
        )
        c.execute(
            text(
                "INSERT INTO image_set (id,user_id,job_id,prompt,model,params,created_at) VALUES (1,1,'j','p','m','{}',now())"
            )
        )
        t = time.time()
        c.execute(
            text(f"""INSERT INTO image (user_id,set_id,prompt,model,params,width,height,private,original_key,thumbnail_key,like_count,comment_count,created_at,hot)
          SELECT 1,1, (string_to_array('{words}',' '))[1+(g%20)] || ' ' || (string_to_array('{words}',' '))[1+((g/20)%20)] || ' tok' || g,
          'local-sketch','{{}}',8,8, g%10=0,'o','t', ((g::bigint*7919)%500)::int, 0, now() - (g || ' seconds')::interval,
          log(greatest(((g::bigint*7919)%500)::int,1)) + extract(epoch from now() - (g || ' seconds')::interval)/45000.0
          FROM generate_series(1,{N}) g""")
        )
        print(f"loaded {N} rows in {time.time() - t:.1f}s")
    with engine.connect() as c:
        c.execute(text("ANALYZE image"))
        c.commit()
    captured = []

    @event.listens_for(engine, "before_cursor_execute")
    def cap(conn, cursor, statement, parameters, context, executemany):
        if (
            statement.lstrip().startswith("SELECT image.id")
            or "walk" in statement
            or "found" in statement
        ):
            captured.append((statement, parameters))

    cases = {
        "recent": {},
        "liked": {"sort": "liked"},
        "trending 7d": {"sort": "trending", "window": "7d"},
        "search common 'fox'": {"q": "fox"},
        "search two common 'fox cat'": {"q": "fox cat"},
        "search rare 'tok123457'": {"q": "tok123457"},
    }
    for label, q in cases.items():
        captured.clear()
        with Session(engine) as s:
            best = min(
                (
                    lambda: (
                        t0 := time.perf_counter(),
                        load_explore(s, ExploreQuery(**q)),
                        time.perf_counter() - t0,
                    )[2]
                )()
                for _ in range(5)
            )
            page = load_explore(s, ExploreQuery(**q))
            sql_runs = captured[-(len(captured) // 6) :]
        print(
            f"\n=== {label}: best of 5 {best * 1000:.2f} ms (service call), {len(page.items)} cards, {len(sql_runs)} statement(s)"
        )
        with engine.connect() as c:
            for stmt, params in sql_runs:
                raw = c.connection.driver_connection
                with raw.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) " + stmt, params)
                    print("\n".join(r[0] for r in cur.fetchall()))
    engine.dispose()
finally:
    drop_pg_database(name)
