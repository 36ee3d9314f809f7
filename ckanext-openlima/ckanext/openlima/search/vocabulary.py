"""The catalogue's vocabulary, for "did you mean" (#18).

``openlima_search_vocabulary`` holds the words people read in the public datasets
(title, name, tags, groups, description, resources, themes, districts, controlled
labels; see ``document.vocabulary_words``), written by the index in the same
transaction as the documents. A private, draft or deleted dataset adds no word; when a
dataset stops being public or is removed, each of its words is dropped unless a public
dataset still matches it (with the index's Spanish stemming). A suggestion is also only
offered after the corrected search has found datasets for the person asking, with their
own permissions and filters (``action.package_search``), so no suggestion ever leads to,
or comes only from, a dataset they may not read.

A typed word counts as unknown when its accent-free lower-case form is no word's; its
candidates are the words most alike by trigrams (``pg_trgm``, GIN-indexed).
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional

import sqlalchemy as sa

from . import ddl
from .document import vocabulary_words
from .query import strip_accents

TABLE = ddl.VOCABULARY_TABLE
# Below this trigram similarity a word is not offered (educasion/educación: 0.54,
# trasporte/transporte: 0.62, educasion/educativo: 0.33)
MIN_SIMILARITY = 0.4
# Words of the query looked at, candidates per word, corrected searches tried
MAX_WORDS = 6
CANDIDATES_PER_WORD = 3
MAX_TRIALS = 4
_TOKEN = re.compile(r"\b[^\W\d_]{4,40}\b")
_OPERATORS = {"AND", "OR", "NOT"}


def fold(word: str) -> str:
    return strip_accents(word).lower()


def public(row: dict[str, Any]) -> bool:
    return "public" in (row.get("permission_labels") or [])


def add(session, docs: Iterable[dict[str, Any]]) -> None:
    """Record the words of these (public) documents."""
    words = sorted({word for doc in docs for word in vocabulary_words(doc)})
    if not words:
        return
    # sorted, so that concurrent writers take the new words' locks in one order
    session.execute(
        sa.text(f"INSERT INTO {TABLE} (word, folded) "
                f"SELECT word, folded FROM unnest(CAST(:words AS text[]), "
                f"CAST(:folded AS text[])) AS new(word, folded) ORDER BY word "
                f"ON CONFLICT (word) DO NOTHING"),
        {"words": words, "folded": [fold(word) for word in words]},
    )


def prune(session, docs: Optional[Iterable[dict[str, Any]]]) -> None:
    """After documents stopped being public or were removed: drop their words that no
    public document matches any more (``docs`` None: too many to look at; only empty
    the vocabulary when no public document is left)."""
    any_public = session.execute(sa.text(
        f"SELECT EXISTS (SELECT 1 FROM {ddl.TABLE} "
        f"WHERE permission_labels @> ARRAY['public'])")).scalar()
    if not any_public:
        session.execute(sa.text(f"DELETE FROM {TABLE}"))
        return
    if docs is None:
        return
    words = sorted({word for doc in docs for word in vocabulary_words(doc)})
    if not words:
        return
    session.execute(
        sa.text(f"DELETE FROM {TABLE} AS vocabulary WHERE word = ANY(CAST(:words AS text[])) "
                f"AND NOT EXISTS (SELECT 1 FROM {ddl.TABLE} "
                f"WHERE permission_labels @> ARRAY['public'] "
                f"AND search_vector @@ plainto_tsquery('{ddl.TEXT_CONFIG}', vocabulary.word))"),
        {"words": words},
    )


def corrections(session, q: str) -> list[str]:
    """Corrected versions of ``q``, most likely first; [] when every word is known.

    Only the unknown words change; everything else (spaces, quotes, operators, short
    words, numbers) stays as typed.
    """
    tokens = [match for match in _TOKEN.finditer(q) if match.group(0) not in _OPERATORS]
    tokens = tokens[:MAX_WORDS]
    if not tokens:
        return []
    folded = sorted({fold(match.group(0)) for match in tokens})
    known = {row[0] for row in session.execute(
        sa.text(f"SELECT DISTINCT folded FROM {TABLE} WHERE folded = ANY(CAST(:folded AS text[]))"),
        {"folded": folded})}
    unknown = [match for match in tokens if fold(match.group(0)) not in known]
    if not unknown:
        return []
    options: dict[str, list[tuple[str, float]]] = {}
    for match in unknown:
        typed = fold(match.group(0))
        if typed in options:
            continue
        found = session.execute(
            sa.text(
                f"SELECT word, similarity(folded, :typed) AS alike FROM {TABLE} "
                f"WHERE folded % :typed AND similarity(folded, :typed) >= :least "
                # the accented spelling first, when both are in the catalogue
                f"ORDER BY alike DESC, (word = folded), word LIMIT :limit"),
            {"typed": typed, "least": MIN_SIMILARITY, "limit": CANDIDATES_PER_WORD},
        ).fetchall()
        options[typed] = [(word, float(alike)) for word, alike in found]
    if not any(options.values()):
        return []
    # the best candidate for every word, then the next best for one word at a time
    def build(choice: dict[str, str]) -> str:
        out, last = [], 0
        for match in unknown:
            replacement = choice.get(fold(match.group(0)))
            if replacement is None:
                continue
            out.append(q[last:match.start()])
            out.append(replacement)
            last = match.end()
        out.append(q[last:])
        return "".join(out)

    best = {typed: found[0][0] for typed, found in options.items() if found}
    trials = [build(best)]
    for typed, found in options.items():
        for word, _alike in found[1:]:
            trials.append(build({**best, typed: word}))
    unique: list[str] = []
    for trial in trials:
        if trial != q and trial not in unique:
            unique.append(trial)
    return unique[:MAX_TRIALS]


def free_text(q: Optional[str]) -> Optional[str]:
    """``q`` when it is words a person typed (not fielded syntax or ``*:*``), else None."""
    if not isinstance(q, str):
        return None
    text = q.strip()
    if not text or len(text) > 200 or ":" in text or text == "*":
        return None
    return text
