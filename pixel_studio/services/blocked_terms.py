"""Blocked terms: the words an operator refuses in prompts and comments (BLOCKED_TERMS).

Applied before anything is charged or stored (generation.validate_request, comments.add_comment).
A match is whole words, case-insensitive, after NFKC normalisation and casefolding, so
"ＳＰＡＭ" or "Spam!" match "spam" while "spammer" does not. The refusal names the rule, never
the term: echoing the list would publish it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache

PROMPT_BLOCKED = "This prompt contains a blocked term."
COMMENT_BLOCKED = "This comment contains a blocked term."


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def parse_terms(raw: str) -> tuple[str, ...]:
    """BLOCKED_TERMS as written: a JSON array of strings, or a comma-separated list."""
    raw = raw.strip()
    if not raw:
        return ()
    items: list[str]
    if raw.startswith("["):
        try:
            loaded = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"BLOCKED_TERMS is not a valid JSON array: {exc}") from None
        if not isinstance(loaded, list) or not all(isinstance(i, str) for i in loaded):
            raise ValueError("BLOCKED_TERMS as JSON must be an array of strings.")
        items = loaded
    else:
        items = raw.split(",")
    terms = {" ".join(normalise(item).split()) for item in items}
    return tuple(sorted(t for t in terms if t))


@lru_cache(maxsize=8)
def _pattern(raw: str) -> re.Pattern[str] | None:
    terms = parse_terms(raw)
    if not terms:
        return None
    # Whole words: no word character on either side; spaces inside a term match any run of
    # whitespace. Longest first, so a phrase wins over a word it starts with.
    alts = [r"\s+".join(map(re.escape, t.split())) for t in sorted(terms, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


def contains_blocked(text: str | None, raw_terms: str) -> bool:
    """Whether `text` holds one of the terms in `raw_terms` (the BLOCKED_TERMS setting)."""
    pattern = _pattern(raw_terms)
    return bool(text) and pattern is not None and pattern.search(normalise(text or "")) is not None
