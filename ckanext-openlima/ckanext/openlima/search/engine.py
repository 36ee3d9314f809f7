"""A pysolr-compatible connection that keeps CKAN's search index in PostgreSQL.

CKAN talks to its index only through ``make_connection()`` and four pysolr methods
(``add``, ``delete``, ``commit``, ``search``); this class answers them from the
``openlima_search_index`` table of the CKAN database, through CKAN's own SQLAlchemy
session. So an index write joins the transaction of the action that made it: the
dataset is saved if and only if it is indexed.

Errors come back the way pysolr reports them (``pysolr.SolrError``), with the texts
CKAN looks for: bad syntax becomes CKAN's "Search Error" (HTTP 409), a sort it can't
read a "Search Query Error", an unreachable database "Failed to connect to server".
"""
from __future__ import annotations

import datetime
import functools
import json
import logging
import re
import time
from typing import Any, Iterable, Optional

import psycopg2.errors
import pysolr
import sqlalchemy as sa
from sqlalchemy import event, orm

from ckan import model

from . import cache, ddl, messages, vocabulary
from .ddl import FACET_FIELDS, SORT_FIELDS
from .document import as_list, index_fields, parse_date, weighted_text
from .query import (RANK_WEIGHTS, Budget, Compiler, Limits, Params, QueryRefused,
                    QuerySyntaxError, compile_sort, parse_fl)
from .schema import get_schema

log = logging.getLogger(__name__)

TABLE = ddl.TABLE
CONFIG = ddl.TEXT_CONFIG
DEFAULT_ROWS = 10  # Solr's default when ``rows`` is absent
INT_MAX = 2**31 - 1  # Solr's start, rows and facet.limit are 32-bit integers


class SearchRefused(pysolr.SolrError):
    """A search the engine will not run, with a message for the person who sent it.

    CKAN turns any ``SolrError`` into ``SearchError`` (HTTP 409) with the error's text
    inside its own; ``logic.action.package_search`` gives the 409 this message alone.
    """

    def __init__(self, user_message: str):
        super().__init__(f"Solr responded with an error (HTTP 400): [Reason: {user_message}]")
        self.user_message = user_message


def limits() -> Limits:
    import ckan.plugins.toolkit as tk

    return Limits(
        max_length=tk.config.get("ckanext.openlima.search.max_query_length") or 20_000,
        max_clauses=tk.config.get("ckanext.openlima.search.max_clauses") or 1_024,
        max_depth=tk.config.get("ckanext.openlima.search.max_depth") or 20,
    )


def result_cache_enabled() -> bool:
    import ckan.plugins.toolkit as tk

    return tk.asbool(tk.config.get("ckanext.openlima.search.result_cache", True))


def statement_timeout_ms() -> int:
    import ckan.plugins.toolkit as tk

    return int(tk.config.get("ckanext.openlima.search.statement_timeout") or 0)


class PostgresSearchConnection:
    """The object ``make_connection()`` returns while ``openlima_search`` is enabled."""

    url = "postgresql://openlima-search-index"

    def __init__(self, decode_dates: bool = True):
        self.decode_dates = decode_dates

    # ------------------------------------------------------------ writes

    def add(self, docs: Iterable[dict[str, Any]], commit: bool = True, **kwargs: Any) -> str:
        """Index documents, in the caller's transaction.

        ``commit=False`` is CKAN's deferred indexing (``search-index rebuild``): the rows
        wait in the session (``PENDING``) and are written ``WRITE_BATCH`` at a time, by
        one statement, before the session commits and before any search or delete
        through the engine, so the transaction still holds exactly what it indexed.
        """
        docs = list(docs)
        rows = [self._row(doc) for doc in docs]
        session = model.Session
        if not commit and not session().in_nested_transaction():
            pending = session.info.setdefault(PENDING, {})
            for doc, row in zip(docs, rows):
                pending.pop(row["index_id"], None)  # written in the order last indexed
                pending[row["index_id"]] = (doc, row)
            if len(pending) >= WRITE_BATCH:
                write_pending(session)
            return ""
        self._write(list(zip(docs, rows)), commit)
        return ""

    def _write(self, entries: list[tuple[dict[str, Any], dict[str, Any]]], commit: bool) -> None:
        by_id = {row["index_id"]: (doc, row) for doc, row in entries}  # the last one wins
        docs = [doc for doc, _row in by_id.values()]
        rows = [row for _doc, row in by_id.values()]

        def write(session):
            ids = [row["index_id"] for row in rows]
            was_public = {found[0] for found in session.execute(
                sa.text(f"SELECT index_id FROM {TABLE} WHERE index_id = ANY(:ids) "
                        f"AND permission_labels @> ARRAY['public']"), {"ids": ids})}
            leaving = [row["index_id"] for row in rows
                       if row["index_id"] in was_public and not vocabulary.public(row)]
            old_docs = [found[0] for found in session.execute(
                sa.text(f"SELECT doc FROM {TABLE} WHERE index_id = ANY(:ids)"),
                {"ids": leaving})] if leaving else []
            session.execute(sa.text(_UPSERT), {"rows": _rows_json(rows)})
            vocabulary.add(session, [doc for doc, row in zip(docs, rows)
                                     if vocabulary.public(row)])
            if old_docs:
                vocabulary.prune(session, old_docs)
            cache.mark_written(session)

        self._run(write, commit)

    def delete(self, id: Any = None, q: Optional[str] = None, commit: bool = True,
               **kwargs: Any) -> str:
        if id is None and q is None:
            raise ValueError('You must specify "id" or "q".')
        q = _without_nul(q)
        write_pending()  # a deferred row must not outlive its own deletion

        def remove(session):
            if id is not None:
                _delete(session, "index_id = ANY(:ids)",
                        {"ids": [str(i) for i in as_list(id)]})
            if q is not None:
                params = Params()
                compiled = Compiler(params, self._analyzer(session),
                                    budget=Budget(limits())).parse(q)
                _delete(session, compiled.condition, params.values)
            cache.mark_written(session)

        self._run(remove, commit)
        return ""

    def commit(self, **kwargs: Any) -> str:
        """Make index writes durable outside an action (``search-index rebuild``, ``clear``).

        Inside an action CKAN commits the session itself, after the dataset rows.
        """
        try:
            model.Session.commit()
            # after a rebuild or clear, fresh statistics keep the planner on the indexes
            model.Session.execute(sa.text(f"ANALYZE {TABLE}"))
            model.Session.commit()
        except sa.exc.DBAPIError as error:
            model.Session.rollback()
            raise _solr_error(error)
        return ""

    def optimize(self, **kwargs: Any) -> str:
        return ""

    def ping(self, **kwargs: Any) -> str:
        self._run(lambda session: session.execute(sa.text("SELECT 1")))
        return '{"status":"OK"}'

    # ------------------------------------------------------------ search

    def search(self, q: Optional[str] = None, search_handler: Optional[str] = None,
               **kwargs: Any) -> pysolr.Results:
        started = time.monotonic()
        write_pending()  # the transaction sees what it has indexed
        request = {key: _without_nul(value) for key, value in kwargs.items()}
        if q is None:
            q = request.pop("q", None)
        q = _without_nul(q)

        def run(session):
            timeout = statement_timeout_ms()
            if not timeout:
                return self._search(session, q, request)
            # a bound on every statement of this search; an error rolls the savepoint
            # back, which restores the caller's setting too
            previous = session.execute(
                sa.text("SELECT current_setting('statement_timeout'), "
                        "set_config('statement_timeout', :limit, true)"),
                {"limit": f"{timeout}ms"},
            ).scalar()
            decoded = self._search(session, q, request)
            session.execute(sa.text("SELECT set_config('statement_timeout', :previous, true)"),
                            {"previous": previous})
            return decoded

        decoded = self._run(run)
        decoded["responseHeader"]["QTime"] = int((time.monotonic() - started) * 1000)
        return pysolr.Results(decoded)

    def _search(self, session, q, request) -> dict[str, Any]:
        # datetime objects (decode_dates) don't round-trip through the JSON cache
        cache_key = None
        if not self.decode_dates and result_cache_enabled():
            cache_key = cache.key_for(session, {"q": q, **request})
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
        decoded = self._execute_search(session, q, request)
        cache.put(cache_key, decoded)
        return decoded

    def _execute_search(self, session, q, request) -> dict[str, Any]:
        params = Params()
        analyze = self._analyzer(session)
        operator = str(request.get("q.op") or "AND")
        budget = Budget(limits())
        compiler = Compiler(params, analyze, operator, request.get("df") or "text", budget)
        q_text = "*:*" if q is None or not str(q).strip() else str(q)
        compiled = compiler.parse(q_text, str(request.get("defType") or "lucene"), request.get("mm"))
        conditions = [compiled.condition]
        for fq in as_list(request.get("fq")):
            if str(fq).strip():
                conditions.append(
                    Compiler(params, analyze, operator, budget=budget).parse(str(fq)).condition)
        where = " AND ".join(f"({c})" for c in conditions)

        if compiled.rank_queries:
            score = _score_sql(compiled.rank_queries, params)
        else:
            score = "1.0::float4"
        order = compile_sort(request.get("sort"), score, params)
        rows = _int_param(request, "rows", DEFAULT_ROWS, 0)
        start = _int_param(request, "start", 0, 0)

        # Count and page are two statements: a count(*) OVER () on the page query makes
        # PostgreSQL buffer every match in a window (no parallel scan): at 100,000
        # datasets 940 ms against 320 + 220 ms for the two (EXPLAIN ANALYZE, #18).
        hits = session.execute(
            sa.text(f"SELECT count(*) FROM {TABLE} WHERE {where}"), params.values
        ).scalar()
        docs = []
        if rows and start < hits:
            found = session.execute(
                sa.text(
                    f"SELECT doc, {score} AS score FROM {TABLE} WHERE {where} "
                    f"ORDER BY {order} LIMIT {rows} OFFSET {start}"
                ),
                params.values,
            )
            names, everything, with_score = parse_fl(request.get("fl"))
            docs = [self._present(doc, score_value, names, everything, with_score)
                    for doc, score_value in found]

        facets: dict[str, Any] = {}
        facet_names = [str(n) for n in as_list(request.get("facet.field"))]
        if _truthy(request.get("facet")) and facet_names:
            facets = {
                "facet_queries": {},
                "facet_fields": self._facets(session, facet_names, where, params, request),
                "facet_ranges": {},
                "facet_intervals": {},
                "facet_heatmaps": {},
            }
        return {
            "responseHeader": {"status": 0, "QTime": 0},
            "response": {"numFound": hits, "start": start, "docs": docs},
            "facet_counts": facets,
        }

    def _facets(self, session, names: list[str], where: str, params: Params,
                request) -> dict[str, list[Any]]:
        """Counts for every facet field in one pass over the matching rows.

        Values come only from documents that match the request, and so only from
        documents the caller may see (CKAN's permission, capacity and state filters are
        part of ``where``). Solr lists values with no match too when
        ``facet.mincount=0``, drawn from the whole index, private and draft datasets
        included; here zero counts are never listed, whatever ``facet.*`` asks.
        """
        limit = _int_param(request, "facet.limit", 100, -INT_MAX)
        mincount = max(1, _int_param(request, "facet.mincount", 0, -INT_MAX))
        by_index = str(request.get("facet.sort", "count")) == "index"
        counts: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
        compact = [name for name in dict.fromkeys(names) if name in FACET_FIELDS]
        others = [name for name in dict.fromkeys(names) if name not in FACET_FIELDS]
        found: list[tuple[str, str, int]] = []
        if compact:
            # the small facet_values column ("field:value"), not the jsonb document; every
            # value counted, the fields not asked for dropped here (filtering each entry
            # in SQL cost more than counting it: 560 against 420 ms at 100,000 datasets)
            sql = (f"SELECT value, count(*) FROM {TABLE}, unnest(facet_values) AS value "
                   f"WHERE {where} GROUP BY value")
            for value, count in session.execute(sa.text(sql), params.values):
                name, _, text = value.partition(":")
                if name in compact:
                    found.append((name, text, count))
        if others:
            values = dict(params.values, facet_fields=others)
            sql = (
                # facet_field: no column of the table has that name (the request's
                # conditions name the table's columns unqualified)
                f"SELECT facet.facet_field, value, count(*) FROM {TABLE}, "
                f"unnest(CAST(:facet_fields AS text[])) AS facet(facet_field), "
                f"jsonb_array_elements_text(fields -> facet.facet_field) AS value "
                f"WHERE {where} GROUP BY facet.facet_field, value"
            )
            found += session.execute(sa.text(sql), values).fetchall()
        for name, value, count in found:
            if count >= mincount:
                counts[name].append((value, count))
        result = {}
        for name, pairs in counts.items():
            if by_index:
                pairs.sort(key=lambda pair: pair[0].encode())
            else:
                pairs.sort(key=lambda pair: (-pair[1], pair[0].encode()))
            if limit >= 0:
                pairs = pairs[:limit]
            result[name] = [item for pair in pairs for item in pair]
        return result

    # ------------------------------------------------------------ helpers

    def _present(self, doc: dict[str, Any], score: float, names: set[str], everything: bool,
                 with_score: bool) -> dict[str, Any]:
        schema = get_schema()
        out = {}
        for key, value in doc.items():
            field = schema.field(key)
            if not field.stored or not (everything or key in names):
                continue
            if field.multivalued:
                value = as_list(value)
            elif isinstance(value, list):
                value = value[0] if value else None
            if field.kind == "date":
                value = _solr_date(value)
                if self.decode_dates:
                    value = _decode_date(value)
            out[key] = value
        if with_score:
            out["score"] = float(score)
        return out

    def _row(self, doc: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise pysolr.SolrError("Solr responded with an error (HTTP 400): document is not an object")
        unique = get_schema().unique_key
        if not doc.get(unique):
            raise pysolr.SolrError(
                f"Solr responded with an error (HTTP 400): [Reason: Document is missing "
                f"mandatory uniqueKey field: {unique}]"
            )
        weight_a, weight_b, weight_c = weighted_text(doc)
        fields = index_fields(doc)
        return {
            "index_id": str(doc[unique]),
            "site_id": str(doc.get("site_id") or ""),
            "entity_type": doc.get("entity_type"),
            "entity_id": str(doc.get("id") or ""),
            "state": _scalar(doc.get("state")),
            "capacity": _scalar(doc.get("capacity")),
            "dataset_type": _scalar(doc.get("dataset_type")),
            "name": _scalar(doc.get("name")),
            "facet_values": [f"{name}:{value}" for name in FACET_FIELDS
                             for value in fields.get(name, [])],
            **{name: _scalar(fields.get(name)) for name in SORT_FIELDS},
            "permission_labels": [str(label) for label in as_list(doc.get("permission_labels"))],
            "doc": _json(doc),
            "fields": _json(fields),
            "weight_a": _clean(weight_a),
            "weight_b": _clean(weight_b),
            "weight_c": _clean(weight_c),
        }

    def _analyzer(self, session):
        def analyze(mode: str, text: str) -> str:
            return _analyze(session, mode, text)
        return analyze

    def _run(self, work, commit: bool = False):
        """Run ``work(session)`` in a savepoint, creating the index table if it is gone.

        ``commit`` is pysolr's flag. Solr commits such a write at once; here the write
        is part of the caller's transaction. Inside an action CKAN commits that
        transaction right after indexing (or is inside its own savepoint, as
        ``package_update`` is, and commits after releasing it), so committing here
        changes nothing there, and makes standalone writes (``search-index clear``,
        direct ``index_package`` calls) as durable as they are with Solr.
        """
        session = model.Session
        commit_now = commit and not session().in_nested_transaction()
        for attempt in (1, 2):
            try:
                with session.begin_nested():
                    result = work(session)
                if commit_now:
                    session.commit()
                return result
            except QuerySyntaxError as error:
                raise SearchRefused(str(error))
            except RecursionError:
                raise SearchRefused(messages.too_deep(limits().max_depth))
            except sa.exc.ProgrammingError as error:
                if attempt == 1 and isinstance(
                    error.orig, (psycopg2.errors.UndefinedTable, psycopg2.errors.UndefinedObject,
                                 psycopg2.errors.UndefinedColumn)
                ):
                    log.warning("Search index table missing or outdated: creating/upgrading %s", TABLE)
                    with session.begin_nested():
                        ddl.create_schema(session.connection())
                    continue
                raise _solr_error(error)
            except sa.exc.DBAPIError as error:
                raise _solr_error(error)
            except (ValueError, OverflowError) as error:  # refused by psycopg2 before sending
                log.warning("search index: value refused: %s", str(error)[:500])
                raise SearchRefused(messages.failed())
        raise AssertionError("unreachable")


# Deleting more public documents than this at once (``search-index clear``) does not
# look at their words: the vocabulary is emptied when no public document is left, else
# kept (a stale word is never offered: suggestions are checked by a search)
PRUNE_AT_MOST = 1000


def _delete(session, condition: str, values: dict[str, Any]) -> None:
    public_ids = [found[0] for found in session.execute(
        sa.text(f"SELECT index_id FROM {TABLE} WHERE ({condition}) "
                f"AND permission_labels @> ARRAY['public'] LIMIT {PRUNE_AT_MOST + 1}"),
        values)]
    old_docs = None
    if public_ids and len(public_ids) <= PRUNE_AT_MOST:
        old_docs = [found[0] for found in session.execute(
            sa.text(f"SELECT doc FROM {TABLE} WHERE index_id = ANY(:public_ids)"),
            {"public_ids": public_ids})]
    session.execute(sa.text(f"DELETE FROM {TABLE} WHERE {condition}"), values)
    if public_ids:
        vocabulary.prune(session, old_docs)


# Every column of an index row but the computed ones, as ``jsonb_to_recordset`` reads them
_ROW_COLUMNS = (
    ("index_id", "text"), ("site_id", "text"), ("entity_type", "text"),
    ("entity_id", "text"), ("state", "text"), ("capacity", "text"),
    ("dataset_type", "text"), ("name", "text"), ("facet_values", "text[]"),
    *[(name, "text") for name in SORT_FIELDS], ("permission_labels", "text[]"),
    ("doc", "jsonb"), ("fields", "jsonb"),
    ("weight_a", "text"), ("weight_b", "text"), ("weight_c", "text"),
)
_STORED = [name for name, _type in _ROW_COLUMNS if not name.startswith("weight_")]

# Any number of rows in one statement: one round trip per batch, not per dataset (#18:
# statements, not SQL work, were most of what indexing added to CKAN's dictization)
_UPSERT = f"""
INSERT INTO {TABLE} ({", ".join(_STORED)}, search_vector, seq)
SELECT {", ".join("new." + name for name in _STORED)},
    setweight(to_tsvector('{CONFIG}', new.weight_a), 'A')
      || setweight(to_tsvector('{CONFIG}', new.weight_b), 'B')
      || setweight(to_tsvector('{CONFIG}', new.weight_c), 'C'),
    nextval('{TABLE}_seq')
FROM ROWS FROM (jsonb_to_recordset(CAST(:rows AS jsonb))
    AS ({", ".join(f"{name} {kind}" for name, kind in _ROW_COLUMNS)}))
    WITH ORDINALITY AS new({", ".join(name for name, _kind in _ROW_COLUMNS)}, position)
ORDER BY new.position
ON CONFLICT (index_id) DO UPDATE SET
    {", ".join(f"{name} = EXCLUDED.{name}" for name in _STORED if name != "index_id")},
    search_vector = EXCLUDED.search_vector,
    seq = EXCLUDED.seq,
    indexed_at = now()
"""

# Deferred writes waiting in a session (``add(commit=False)``): index_id -> (doc, row)
PENDING = "openlima_search_pending"
WRITE_BATCH = 200


def _rows_json(rows: list[dict[str, Any]]) -> str:
    """The rows as one JSON array; ``doc`` and ``fields`` are already JSON text."""
    parts = []
    for row in rows:
        plain = {name: _without_nul(row[name]) for name, _kind in _ROW_COLUMNS
                 if name not in ("doc", "fields")}
        head = json.dumps(plain, ensure_ascii=False)
        parts.append(f'{head[:-1]}, "doc": {row["doc"]}, "fields": {row["fields"]}}}')
    return "[" + ", ".join(parts) + "]"


def write_pending(session=None) -> None:
    """Write the session's deferred index rows now (see ``PostgresSearchConnection.add``)."""
    session = session or model.Session
    pending = session.info.pop(PENDING, None)
    if pending:
        PostgresSearchConnection()._write(list(pending.values()), commit=False)


@event.listens_for(orm.Session, "before_commit")
def _write_before_commit(session) -> None:
    if session.info.get(PENDING):
        write_pending(session)


@event.listens_for(orm.Session, "after_transaction_end")
def _forget_pending(session, transaction) -> None:
    # committed (written just before) or rolled back (never written): nothing waits
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _restrict(tsquery: str, weight: str) -> str:
    """``'educ' & 'vial':*`` -> ``'educ':A & 'vial':*A``: match only in one weight."""
    return re.sub(
        r"('(?:[^']|'')*')(:\*?[A-D]*)?",
        lambda m: m.group(1) + ":" + ("*" if m.group(2) and "*" in m.group(2) else "") + weight,
        tsquery,
    )


def _score_sql(rank_queries: list[str], params: Params) -> str:
    """Relevance in tiers, like dismax over ``name^4 title^4 tags^2 groups^2 text``:
    a match in the name or title outranks one only in tags or groups, which outranks
    one only in the description, resources or extras; ts_rank orders within a tier."""
    def combined(queries):
        return "(" + " || ".join(params(q, "tsquery") for q in queries) + ")"

    in_title = combined([_restrict(q, "A") for q in rank_queries])
    in_tags = combined([_restrict(q, "B") for q in rank_queries])
    anywhere = combined(rank_queries)
    return (
        f"((CASE WHEN search_vector @@ {in_title} THEN 2 ELSE 0 END)"
        f" + (CASE WHEN search_vector @@ {in_tags} THEN 1 ELSE 0 END)"
        f" + ts_rank('{RANK_WEIGHTS}'::float4[], search_vector, {anywhere}))"
    )


def _scalar(value: Any) -> Optional[str]:
    values = as_list(value)
    return str(values[0]) if values else None


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; Solr's analysers drop it too."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, (list, tuple)):
        return [_without_nul(v) for v in value]
    return value


def _clean(text: str) -> str:
    return text.replace("\x00", "")


def _json(value: Any) -> str:
    # PostgreSQL's jsonb refuses the NUL character; Solr would drop it as well
    return json.dumps(value, default=str, ensure_ascii=False).replace("\\u0000", "")


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "on", "1", "yes")


def _int_param(request: dict[str, Any], name: str, default: int, low: int,
               high: int = INT_MAX) -> int:
    value = request.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise QueryRefused(messages.bad_integer(name, value, low, high))
    if not low <= number <= high:
        raise QueryRefused(messages.bad_integer(name, value, low, high))
    return number


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def _solr_date(value: Any) -> Any:
    """Dates come back the way Solr writes them: UTC, ``Z``, milliseconds if any."""
    if isinstance(value, list):
        return [_solr_date(v) for v in value]
    moment = parse_date(value)
    if moment is None:
        return value
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += ".%03d" % (moment.microsecond // 1000)
    return text + "Z"


def _decode_date(value: Any) -> Any:
    if isinstance(value, str) and _DATE_RE.match(value):
        return datetime.datetime.fromisoformat(value[:-1])
    if isinstance(value, list):
        return [_decode_date(v) for v in value]
    return value


def _solr_error(error: sa.exc.DBAPIError) -> pysolr.SolrError:
    """The error CKAN gets for a database failure: its kind, never the database's text
    (which may quote the query, internals or other data); that goes to the log."""
    original = getattr(error, "orig", None)
    log.warning("search index: database error %s: %s", type(original).__name__,
                str(original or error).strip().splitlines()[0][:500])
    if isinstance(original, psycopg2.errors.QueryCanceled):
        return SearchRefused(messages.timed_out())
    if isinstance(error, sa.exc.OperationalError) or error.connection_invalidated:
        # CKAN looks for this text to answer "search server unreachable"
        return pysolr.SolrError(f"Failed to connect to server at {PostgresSearchConnection.url}")
    return SearchRefused(messages.failed())


@functools.lru_cache(maxsize=2048)
def _analysis_sql(mode: str) -> str:
    function = {"plain": "plainto_tsquery", "phrase": "phraseto_tsquery", "prefix": "to_tsquery"}[mode]
    return f"SELECT {function}('{CONFIG}', :text)::text"


_ANALYSIS_CACHE: dict[tuple[str, str], str] = {}


def _analyze(session, mode: str, text: str) -> str:
    """The tsquery (as text) for a query term; '' when it holds only stop words."""
    if mode == "prefix":
        words = re.findall(r"[^\W_]+", text)
        if not words:
            return ""
        text = " & ".join(words[:-1] + [words[-1] + ":*"])
    key = (mode, text)
    if key not in _ANALYSIS_CACHE:
        if len(_ANALYSIS_CACHE) > 10000:
            _ANALYSIS_CACHE.clear()
        _ANALYSIS_CACHE[key] = session.execute(
            sa.text(_analysis_sql(mode)), {"text": text}
        ).scalar() or ""
    return _ANALYSIS_CACHE[key]


def make_connection(decode_dates: bool = True) -> PostgresSearchConnection:
    return PostgresSearchConnection(decode_dates=decode_dates)
