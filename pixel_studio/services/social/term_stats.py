"""How common a search term is, from PostgreSQL's own statistics of `image.search`.

Explore's search has two plans (services/social/explore.py): walk the sort's index over
SEARCH_PROBE rows and keep the matches (a common term fills a page there), or gather every
match through the GIN index and sort them (a rare term). Without knowing which, a rare term
paid for the walk first: 2,000 rows read for nothing, ~1 ms, most of its cold time
(bench/discovery.py). ANALYZE already counts the column's lexemes: `pg_stats.most_common_elems`
holds every lexeme above a small share of rows (~0.1% at the default statistics target), with
its frequency. A term whose lexeme is absent, or below what the walk needs to fill a page, is
rare. The statistics are read once per STATS_TTL per database and process.

Terms are stemmed as PostgreSQL's `english` configuration stems them (its Snowball stemmer),
lowercased. A mismatch (a word PostgreSQL's parser splits otherwise) only picks the other
plan; both give the same rows. With no statistics yet (a new database before autovacuum's
first ANALYZE) nothing is called rare, and the walk decides, as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from functools import lru_cache
from weakref import WeakKeyDictionary

import snowballstemmer
from sqlalchemy import Connection, Engine, text

STATS_TTL = 300.0  # seconds; ANALYZE itself runs about as often on a busy table

_STATS = text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename = 'image' AND attname = 'search'"
)
_lock = threading.Lock()
# Per engine, not per URL: hashing a URL renders it as a string (~12 µs a read).
_by_engine: WeakKeyDictionary[Engine, tuple[float, dict[str, float]]] = WeakKeyDictionary()
_stemmer = threading.local()  # a Snowball stemmer keeps state between calls: one per thread


@lru_cache(maxsize=4096)  # the same words come back: a stem costs ~10 µs of pure Python
def lexeme(word: str) -> str:
    """The lexeme PostgreSQL's `english` configuration makes of one word. A word with a digit
    is a `numword` to its parser, which that configuration only lowercases."""
    if any(c.isdigit() for c in word):
        return word.lower()
    stemmer = getattr(_stemmer, "english", None)
    if stemmer is None:
        stemmer = _stemmer.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word.lower()))


def frequencies(connection: Connection) -> dict[str, float]:
    """Share of rows holding each common lexeme of image.search (empty without statistics)."""
    engine = connection.engine
    now = time.monotonic()
    with _lock:
        known = _by_engine.get(engine)
    if known is not None and now - known[0] < STATS_TTL:
        return known[1]
    row = connection.execute(_STATS).first()
    found: dict[str, float] = {}
    if row is not None and row[0]:
        # The frequencies array ends with three more numbers (min, max, null share).
        found = dict(zip(row[0], row[1][: len(row[0])], strict=True))
    with _lock:
        _by_engine[engine] = (now, found)
    return found


def any_rare(connection: Connection, words: Iterable[str], share: float) -> bool:
    """Whether one of `words` (all required) is on fewer than `share` of the rows."""
    common = frequencies(connection)
    if not common:
        return False  # no statistics: unknown, so not rare
    return any(common.get(lexeme(word), 0.0) < share for word in words)
