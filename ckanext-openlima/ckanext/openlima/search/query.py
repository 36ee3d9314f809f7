"""Solr query syntax compiled to parameterised PostgreSQL.

``lucene`` queries (``q`` with fields, every ``fq``, delete-by-query) are parsed with
luqum and walked into SQL conditions; ``dismax``/``edismax`` free text becomes one
full-text clause per term with Solr's ``mm`` rule. Every value from the request travels
as a bound parameter: the SQL text only ever holds column names, operators and
placeholders (``Params`` hands them out).
"""
from __future__ import annotations

import datetime
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field as dc_field
from typing import Any, Callable, Optional

import luqum.tree as lt
from luqum.thread import parse as luqum_parse
from openlima_common import clock

from . import messages
from .ddl import COLUMN_FIELDS, FACET_FIELDS, SORT_FIELDS, TEXT_CONFIG
from .document import format_date, parse_date
from .schema import Field, get_schema

# ts_rank weights for {D, C, B, A}: CKAN's qf boosts name/title 4, tags/groups 2, text 1.
RANK_WEIGHTS = "{0.1, 0.25, 0.5, 1.0}"


class QuerySyntaxError(ValueError):
    """The request is not valid Solr syntax (Solr answers these with HTTP 400)."""


class QueryRefused(QuerySyntaxError):
    """A request the engine will not run: too long, too deep, too many clauses, values
    out of range. ``str()`` is the message for the person who sent it, in their language."""


@dataclass(frozen=True)
class Limits:
    """How much one request may ask of the engine (``ckanext.openlima.search.max_*``)."""

    max_length: int = 20_000  # characters of one q or fq value
    max_clauses: int = 1_024  # terms, phrases, ranges of a request (Solr's maxBooleanClauses)
    max_depth: int = 20  # nested groups: (( )), [ ], { }


class Budget:
    """The clauses one request has left; shared by its ``q`` and every ``fq``."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.clauses = 0

    def spend(self, count: int = 1) -> None:
        self.clauses += count
        if self.clauses > self.limits.max_clauses:
            raise QueryRefused(messages.too_many_clauses(self.limits.max_clauses))

    def check_text(self, text: str) -> None:
        """Refuse before parsing what would take the parser or PostgreSQL too deep."""
        if len(text) > self.limits.max_length:
            raise QueryRefused(messages.too_long(len(text), self.limits.max_length))
        if nesting_depth(text, self.limits.max_depth) > self.limits.max_depth:
            raise QueryRefused(messages.too_deep(self.limits.max_depth))


def nesting_depth(text: str, stop_after: int) -> int:
    """How deeply groups and ranges nest (outside phrases), counting up to ``stop_after + 1``."""
    depth = deepest = 0
    in_phrase = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_phrase = not in_phrase
        elif in_phrase:
            continue
        elif char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        elif char in ")]}":
            depth = max(0, depth - 1)
    return deepest


class Params:
    """Bound parameters of one SQL statement."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any, cast: Optional[str] = None) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"CAST(:{name} AS {cast})" if cast else f":{name}"


@dataclass
class Compiled:
    condition: str
    # tsquery texts of the positive free-text clauses, for ranking
    rank_queries: list[str] = dc_field(default_factory=list)


# ---------------------------------------------------------------- text analysis

Analyzer = Callable[[str, str], str]
"""(mode, text) -> tsquery text ('' when only stop words); modes: plain, phrase, prefix."""


def strip_accents(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def has_wildcard(value: str) -> bool:
    return bool(re.search(r"(?<!\\)[*?]", value))


def like_pattern(value: str) -> str:
    """A Lucene wildcard term as a LIKE pattern (``\\`` is LIKE's escape)."""
    out = []
    escaped = False
    for char in value:
        if escaped:
            out.append("\\" + char if char in "%_\\" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            out.append("%")
        elif char == "?":
            out.append("_")
        elif char in "%_":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


# ---------------------------------------------------------------- date math

_UNITS = {
    "YEAR": "years", "YEARS": "years", "MONTH": "months", "MONTHS": "months",
    "DAY": "days", "DAYS": "days", "DATE": "days", "HOUR": "hours", "HOURS": "hours",
    "MINUTE": "minutes", "MINUTES": "minutes", "SECOND": "seconds", "SECONDS": "seconds",
    "MILLI": "milliseconds", "MILLIS": "milliseconds", "MILLISECOND": "milliseconds",
    "MILLISECONDS": "milliseconds",
}


def _add(moment: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    if unit == "years":
        return _add(moment, amount * 12, "months")
    if unit == "months":
        month_index = moment.month - 1 + amount
        year = moment.year + month_index // 12
        month = month_index % 12 + 1
        day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0)
                               else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
        return moment.replace(year=year, month=month, day=day)
    return moment + datetime.timedelta(**{unit: amount})


def _round(moment: datetime.datetime, unit: str) -> datetime.datetime:
    order = ["years", "months", "days", "hours", "minutes", "seconds", "milliseconds"]
    keep = order.index(unit)
    fields = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0}
    names = ["month", "day", "hour", "minute", "second", "microsecond"]
    replace = {name: fields[name] for name in names[keep:]}
    if unit == "milliseconds":
        replace = {"microsecond": moment.microsecond // 1000 * 1000}
    return moment.replace(**replace)


def resolve_date(value: str, now: Optional[datetime.datetime] = None) -> datetime.datetime:
    """Solr date syntax: ISO instants, ``NOW``, and date math (``NOW-1DAY``, ``/DAY``)."""
    try:
        return _resolve_date(value, now)
    except (OverflowError, ValueError) as error:  # NOW+99999999999999DAYS, year 10000
        if isinstance(error, QuerySyntaxError):
            raise
        raise QueryRefused(messages.bad_date(value))


def _resolve_date(value: str, now: Optional[datetime.datetime]) -> datetime.datetime:
    text = value.strip()
    match = re.match(r"^(NOW|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)(.*)$", text)
    if not match:
        raise QueryRefused(messages.bad_date(value))
    base, math_part = match.groups()
    if base == "NOW":
        moment = now or clock.utcnow()
    else:
        parsed = parse_date(base)
        if parsed is None:
            raise QueryRefused(messages.bad_date(value))
        moment = parsed
    steps = re.findall(r"([+\-/])(\d*)([A-Z]+)", math_part)
    if "".join("".join(step) for step in steps) != math_part:
        raise QueryRefused(messages.bad_date(value))
    for op, amount, unit in steps:
        unit_name = _UNITS.get(unit)
        if unit_name is None:
            raise QueryRefused(messages.bad_date(value))
        if op == "/":
            moment = _round(moment, unit_name)
        else:
            if not amount:
                raise QueryRefused(messages.bad_date(value))
            moment = _add(moment, int(amount) * (1 if op == "+" else -1), unit_name)
    return moment


# ---------------------------------------------------------------- mm

def min_should_match(spec: Optional[str], optional_count: int) -> int:
    """Solr's ``mm`` for ``optional_count`` optional clauses."""
    if optional_count == 0:
        return 0
    if spec is None or str(spec).strip() == "":
        return optional_count
    spec = str(spec).strip()

    def apply(expression: str) -> int:
        expression = expression.strip()
        try:
            if expression.endswith("%"):
                pct = int(expression[:-1])
                calc = math.floor(optional_count * abs(pct) / 100)
                return optional_count - calc if pct < 0 else calc
            number = int(expression)
        except ValueError:
            raise QuerySyntaxError(f"Invalid 'mm' parameter: {spec}")
        return optional_count + number if number < 0 else number

    if "<" in spec:
        result = optional_count  # below the first condition every clause is required
        for condition in spec.split():
            threshold, _, expression = condition.partition("<")
            try:
                limit = int(threshold)
            except ValueError:
                raise QuerySyntaxError(f"Invalid 'mm' parameter: {spec}")
            if optional_count > limit:
                result = apply(expression)
    else:
        result = apply(spec)
    return max(0, min(optional_count, result))


# ---------------------------------------------------------------- compiler

class Compiler:
    def __init__(self, params: Params, analyze: Analyzer, default_operator: str = "AND",
                 default_field: str = "text", budget: Optional[Budget] = None):
        self.params = params
        self.analyze = analyze
        self.default_operator = (default_operator or "AND").upper()
        self.default_field = default_field or "text"
        self.schema = get_schema()
        self.rank_queries: list[str] = []
        self.budget = budget or Budget(Limits())

    # -- entry points

    def parse(self, text: Optional[str], def_type: str = "lucene",
              mm: Optional[str] = None) -> Compiled:
        """A ``q`` or ``fq`` value: local params (``{!bool must=x}``) or ``def_type``."""
        text = "" if text is None else str(text)
        self.budget.check_text(text)
        local = _LOCAL_PARAMS.match(text)
        if local:
            return self._local_params(local.group(1), local.group(2))
        def_type = (def_type or "lucene").lower()
        if def_type in ("dismax", "edismax") and not (def_type == "edismax" and ":" in text):
            return self.dismax(text, mm)
        if def_type not in ("lucene", "dismax", "edismax"):
            raise QuerySyntaxError(f"Unknown query parser '{def_type}'")
        return self.lucene(text)

    def _local_params(self, spec: str, rest: str) -> Compiled:
        parser_type, options = _parse_local_params(spec)
        rest = options.pop("v", [rest])[-1]
        if parser_type in ("lucene", "dismax", "edismax"):
            inner = Compiler(self.params, self.analyze,
                             options.get("q.op", [self.default_operator])[-1],
                             options.get("df", [self.default_field])[-1], self.budget)
            compiled = inner.parse(rest, parser_type, options.get("mm", [None])[-1])
            self.rank_queries += compiled.rank_queries
            return compiled
        if parser_type == "bool":
            def sub(values):
                return [self.parse(v).condition for v in values]
            must = sub(options.get("must", []) + options.get("filter", []))
            should = sub(options.get("should", []))
            must_not = sub(options.get("must_not", []))
            parts = [f"({c})" for c in must]
            if should and not must:
                parts.append("(" + " OR ".join(f"({c})" for c in should) + ")")
            parts += [f"NOT ({c})" for c in must_not]
            return Compiled(" AND ".join(parts) if parts else "FALSE", list(self.rank_queries))
        raise QuerySyntaxError(f"Unsupported query parser '{parser_type}'")

    def lucene(self, text: str) -> Compiled:
        if text is None or not str(text).strip():
            return Compiled("TRUE")
        try:
            tree = luqum_parse(str(text))
            condition = self._node(tree, None, negated=False)
        except QuerySyntaxError:
            raise
        except RecursionError:  # nesting the depth check could not see (it counts brackets)
            raise QueryRefused(messages.too_deep(self.budget.limits.max_depth))
        except Exception:  # luqum's ParseError, and plain errors of its lexer on odd input
            raise QueryRefused(messages.bad_syntax(text))
        return Compiled(condition, list(self.rank_queries))

    def dismax(self, text: str, mm: Optional[str]) -> Compiled:
        text = (text or "").strip()
        if not text or text == "*:*":
            return Compiled("TRUE")
        if _OPERATOR.search(text):
            boolean = self._operators(text)
            if boolean is not None:
                return boolean
        # tsquery texts of the terms, by how they must match
        required: list[str] = []
        prohibited: list[str] = []
        optional: list[str] = []
        for sign, term, is_phrase in _dismax_terms(text):
            if not is_phrase and sign and term[:1] in "+-":
                raise QueryRefused(messages.bad_syntax(text))
            self.budget.spend()
            tsq = self.analyze("phrase" if is_phrase else "plain", term)
            if not tsq:
                continue  # only stop words: Solr's dismax drops the clause too
            if sign == "-":
                prohibited.append(tsq)
                continue
            self.rank_queries.append(tsq)
            (required if sign == "+" else optional).append(tsq)
        if mm is None and self.default_operator == "OR":
            mm = "0"
        needed = min_should_match(mm, len(optional))
        if not required:
            needed = max(needed, 1 if optional else 0)
        # Terms are combined into one tsquery wherever the rule allows, so that one GIN
        # index scan finds the candidates: all needed -> t1 & t2, any one -> t1 | t2.
        must = required + (optional if needed == len(optional) else [])
        parts = []
        if must:
            parts.append(f"search_vector @@ {self.params(_all_of(must), 'tsquery')}")
        if 0 < needed < len(optional):
            parts.append(f"search_vector @@ {self.params(_any_of(optional), 'tsquery')}")
            if needed > 1:
                # one flat array, not a sum: a long chain of additions nests as deep in
                # PostgreSQL's parser as it is long ("stack depth limit exceeded")
                each = ", ".join(f"search_vector @@ {self.params(t, 'tsquery')}" for t in optional)
                parts.append(f"cardinality(array_remove(ARRAY[{each}], false)) >= {int(needed)}")
        if prohibited:
            parts.append(f"NOT (search_vector @@ {self.params(_any_of(prohibited), 'tsquery')})")
        if not parts:
            return Compiled("FALSE")  # every term was a stop word
        return Compiled(" AND ".join(f"({p})" for p in parts), list(self.rank_queries))

    def _operators(self, text: str) -> Optional[Compiled]:
        """Free text with ``OR``, ``AND``, ``NOT`` (``||``, ``&&``) as people mean them.

        Solr's dismax, which CKAN asks for, reads them as words and requires every term,
        so ``presupuesto OR ingresos`` found only datasets with both. Here the words,
        phrases, signs and parentheses become a Lucene query over the text (every other
        special character escaped), like Solr's edismax: ``OR`` binds tighter than the
        implicit AND (``lima presupuesto OR ingresos`` = lima and either), no ``mm``.
        Unbalanced parentheses are dropped; None when it still cannot be read (then the
        text is searched as dismax words).
        """
        for keep_groups in (True, False):
            lucene_text = _as_lucene(text, keep_groups)
            try:
                tree = luqum_parse(lucene_text)
            except Exception:  # luqum's ParseError and lexer errors on odd input
                continue
            rank_before = list(self.rank_queries)
            try:
                condition = self._node(tree, None, negated=False)
            except RecursionError:
                raise QueryRefused(messages.too_deep(self.budget.limits.max_depth))
            except QueryRefused:
                raise
            except QuerySyntaxError:
                self.rank_queries = rank_before
                continue
            return Compiled(condition, list(self.rank_queries))
        return None

    # -- tree walking

    # C901: one branch per node type of the query grammar (a dispatch on the type).
    def _node(self, node, fieldname: Optional[str], negated: bool) -> str:  # noqa: C901
        if isinstance(node, lt.SearchField):
            if node.name == "*" and isinstance(node.expr, lt.Word) and node.expr.value == "*":
                return "TRUE"
            return self._node(node.expr, node.name, negated)
        if isinstance(node, (lt.Group, lt.FieldGroup)):
            return self._node(node.expr, fieldname, negated)
        if isinstance(node, (lt.AndOperation, lt.OrOperation, lt.UnknownOperation)):
            return self._boolean(node, fieldname, negated)
        if isinstance(node, (lt.Not, lt.Prohibit)):
            return f"NOT ({self._node(node.a, fieldname, not negated)})"
        if isinstance(node, lt.Plus):
            return self._node(node.a, fieldname, negated)
        if isinstance(node, lt.Boost):
            return self._node(node.expr, fieldname, negated)
        if isinstance(node, lt.Fuzzy):
            return self._node(node.term, fieldname, negated)
        if isinstance(node, _LEAVES):
            self.budget.spend()
        if isinstance(node, lt.Proximity):
            words = _phrase_text(node.term.value) if isinstance(node.term, lt.Phrase) else node.term.value
            return self._term(fieldname, words, phrase=False, negated=negated)
        if isinstance(node, lt.Phrase):
            return self._term(fieldname, _phrase_text(node.value), phrase=True, negated=negated)
        if isinstance(node, lt.Regex):
            return self._regex(fieldname, node.value[1:-1])
        if isinstance(node, lt.Range):
            return self._range(fieldname, node.low.value, node.high.value,
                               node.include_low, node.include_high)
        if isinstance(node, lt.From):
            return self._range(fieldname, node.a.value, "*", node.include, True)
        if isinstance(node, lt.To):
            return self._range(fieldname, "*", node.a.value, True, node.include)
        if isinstance(node, lt.Word):
            return self._word(fieldname, node.value, negated)
        raise QueryRefused(messages.bad_syntax(node))

    def _boolean(self, node, fieldname, negated) -> str:
        must, must_not, should = [], [], []
        for operand in node.children:
            if isinstance(operand, (lt.Not, lt.Prohibit)):
                must_not.append(self._node(operand.a, fieldname, not negated))
            elif isinstance(operand, lt.Plus):
                must.append(self._node(operand.a, fieldname, negated))
            elif isinstance(node, lt.AndOperation):
                must.append(self._node(operand, fieldname, negated))
            elif isinstance(node, lt.OrOperation) or self.default_operator == "OR":
                should.append(self._node(operand, fieldname, negated))
            else:
                must.append(self._node(operand, fieldname, negated))
        parts = [f"({c})" for c in must]
        if not must and should:
            parts.append("(" + " OR ".join(f"({c})" for c in should) + ")")
        parts += [f"NOT ({c})" for c in must_not]
        return " AND ".join(parts) if parts else "TRUE"

    # -- leaves

    def _field(self, fieldname: Optional[str]) -> Field:
        return self.schema.field(fieldname or self.default_field)

    def _word(self, fieldname, raw: str, negated: bool) -> str:
        field = self._field(fieldname)
        if raw == "*":
            return self._exists(field)
        if has_wildcard(raw):
            return self._wildcard(field, raw)
        return self._term(fieldname, unescape(raw), phrase=False, negated=negated)

    def _term(self, fieldname, value: str, phrase: bool, negated: bool) -> str:
        field = self._field(fieldname)
        if field.kind == "text":
            tsq = self.analyze("phrase" if phrase else "plain", value)
            if not tsq:
                return "FALSE"
            if not negated:
                self.rank_queries.append(tsq)
            return self._text_match(field, tsq)
        if field.kind == "ngram":
            return self._ngram(field, value)
        return self._equals(field, value)

    def _equals(self, field: Field, value: str) -> str:
        if field.kind == "number":
            number = _finite(value)
            value_json: Any = int(number) if number.is_integer() else number
        elif field.kind == "date":
            value_json = format_date(resolve_date(value))
        elif field.kind == "bool":
            value_json = "true" if value.lower() in ("true", "1", "yes", "on") else "false"
        else:
            value_json = value
        column = COLUMN_FIELDS.get(field.name)
        if column == "permission_labels":
            return f"permission_labels @> ARRAY[CAST({self.params(value)} AS text)]"
        if column:
            return f"{column} = {self.params(value)}"
        if field.name in FACET_FIELDS and field.kind == "string":
            return f"facet_values @> ARRAY[CAST({self.params(f'{field.name}:{value}')} AS text)]"
        probe = json.dumps({field.name: [value_json]}, ensure_ascii=False)
        return f"fields @> {self.params(probe, 'jsonb')}"

    def _exists(self, field: Field) -> str:
        if field.name == "text":
            return "search_vector <> ''::tsvector"
        return f"(fields -> {self.params(field.name)}) IS NOT NULL"

    def _text_match(self, field: Field, tsq: str) -> str:
        query = self.params(tsq, "tsquery")
        if field.name == self.schema.field("text").name:
            return f"search_vector @@ {query}"
        own = (f"jsonb_to_tsvector('{TEXT_CONFIG}', COALESCE(fields -> {self.params(field.name)}, "
               f"'[]'::jsonb), '[\"string\"]') @@ {query}")
        if "text" in self.schema.copy_targets(field.name):
            # the GIN-indexed vector holds every copied field: filter with it first
            return f"(search_vector @@ {query} AND {own})"
        return own

    def _elements(self, field: Field, predicate: str) -> str:
        return (f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(fields -> {self.params(field.name)})"
                f" AS element(value) WHERE {predicate})")

    def _wildcard(self, field: Field, raw: str) -> str:
        if field.kind == "text":
            prefix = raw[:-1]
            if raw.endswith("*") and not has_wildcard(prefix) and prefix:
                tsq = self.analyze("prefix", unescape(prefix))
                if tsq:
                    self.rank_queries.append(tsq)
                    return self._text_match(field, tsq)
            pattern = strip_accents(like_pattern(raw)).lower()
            return self._elements(field, f"lower(unaccent(element.value)) LIKE {self.params(pattern)}")
        if field.kind == "ngram":
            return self._ngram(field, raw.replace("*", "").replace("?", ""))
        return self._elements(field, f"element.value LIKE {self.params(like_pattern(raw))}")

    def _ngram(self, field: Field, value: str) -> str:
        # Solr indexes 2-10 character grams of name/title; a query token matches a gram.
        source = field.name[: -len("_ngram")]
        tokens = [t for t in strip_accents(value).lower().split() if t]
        if not tokens or any(len(t) > 10 for t in tokens):
            return "FALSE"
        checks = []
        for token in tokens:
            pattern = "%" + like_pattern(token.replace("*", "\\*").replace("?", "\\?")) + "%"
            checks.append(
                self._elements(self.schema.field(source),
                               f"lower(unaccent(element.value)) LIKE {self.params(pattern)}")
            )
        return " AND ".join(checks)

    def _regex(self, fieldname, expression: str) -> str:
        field = self._field(fieldname)
        try:
            re.compile(expression)
        except (re.error, RecursionError, OverflowError):
            raise QueryRefused(messages.bad_regex(expression))
        # PostgreSQL's regular expressions repeat at most 255 times ({n,m}); past that
        # it refuses the whole statement
        for low, high in re.findall(r"(?<!\\)\{(\d*)(?:,(\d*))?\}", expression):
            if any(bound and int(bound) > 255 for bound in (low, high)):
                raise QueryRefused(messages.bad_regex(expression))
        pattern = self.params(f"^(?:{expression})$")
        if field.is_text:
            return self._elements(field, f"lower(unaccent(element.value)) ~ {pattern}")
        return self._elements(field, f"element.value ~ {pattern}")

    def _range(self, fieldname, low: str, high: str, include_low: bool, include_high: bool) -> str:
        field = self._field(fieldname)
        low, high = unescape(_phrase_text(low)), unescape(_phrase_text(high))
        predicates = []
        # a sort column holds the field's one value: compare it, not the jsonb array
        target = field.name if field.name in SORT_FIELDS else "element.value"
        for bound, inclusive, op in ((low, include_low, ">"), (high, include_high, "<")):
            if bound == "*":
                continue
            operator = op + ("=" if inclusive else "")
            if field.kind == "number":
                number = _finite(bound)
                predicates.append(f"{target}::numeric {operator} {self.params(number)}")
            elif field.kind == "date":
                moment = format_date(resolve_date(bound))
                predicates.append(f"{target} COLLATE \"C\" {operator} {self.params(moment)}")
            else:
                predicates.append(f"{target} COLLATE \"C\" {operator} {self.params(bound)}")
        if not predicates:
            return self._exists(field)
        if target != "element.value":
            # never NULL, so that NOT (range) is true where the field is missing, as below
            return f"({target} IS NOT NULL AND " + " AND ".join(predicates) + ")"
        return self._elements(field, " AND ".join(predicates))


_LEAVES = (lt.Proximity, lt.Phrase, lt.Regex, lt.Range, lt.From, lt.To, lt.Word)

_LOCAL_PARAMS = re.compile(r"^\s*\{!([^}]*)\}(.*)$", re.S)


def _parse_local_params(spec: str) -> tuple[str, dict[str, list[str]]]:
    """``bool must=a must='b c'`` -> ("bool", {"must": ["a", "b c"]})."""
    parser_type = "lucene"
    options: dict[str, list[str]] = {}
    for match in re.finditer(r"""([^\s=]+)(?:=(?:'([^']*)'|"([^"]*)"|(\S*)))?""", spec):
        key, single, double, bare = match.groups()
        if single is None and double is None and bare is None:
            parser_type = key
            continue
        value = next(v for v in (single, double, bare) if v is not None)
        if key == "type":
            parser_type = value
        else:
            options.setdefault(key, []).append(value)
    return parser_type.lower(), options


def _finite(value: str) -> float:
    """A number as Solr reads it; infinities and NaN are refused (PostgreSQL's numeric
    comparison and Solr both reject them)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise QueryRefused(messages.bad_number(value))
    if not math.isfinite(number):
        raise QueryRefused(messages.bad_number(value))
    return number


def _all_of(tsqueries: list[str]) -> str:
    return tsqueries[0] if len(tsqueries) == 1 else " & ".join(f"({t})" for t in tsqueries)


def _any_of(tsqueries: list[str]) -> str:
    return tsqueries[0] if len(tsqueries) == 1 else " | ".join(f"({t})" for t in tsqueries)


def _phrase_text(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1].replace('\\"', '"')
    return value


# A boolean operator standing alone between spaces, as Lucene writes them
_OPERATOR = re.compile(r"(?<!\S)(?:OR|AND|NOT|&&|\|\|)(?!\S)")
_OPERATOR_WORDS = {"OR", "AND", "NOT", "&&", "||"}
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')


def _as_lucene(text: str, keep_groups: bool) -> str:
    """Free text as a Lucene query of words, phrases, signs, operators and (if
    ``keep_groups``) parentheses; every other special character escaped."""
    out = []
    pattern = r'([+\-]?)"([^"]*)"?|([()])|(\S+?)(?=[()]|\s|$)'
    for match in re.finditer(pattern, text):
        sign, phrase, paren, word = match.groups()
        if phrase is not None:
            if phrase.strip():
                out.append(sign + '"' + phrase.replace("\\", " ") + '"')
        elif paren is not None:
            if keep_groups:
                out.append(paren)
        elif word in _OPERATOR_WORDS:
            out.append({"||": "OR", "&&": "AND"}.get(word, word))  # luqum reads words only
        elif word:
            prefix = ""
            if word[0] in "+-" and len(word) > 1:
                prefix, word = word[0], word[1:]
            out.append(prefix + _LUCENE_SPECIAL.sub(r"\\\1", word))
    return " ".join(out)


def _dismax_terms(text: str):
    """Split dismax input into (sign, text, is_phrase) clauses; quotes make phrases."""
    for match in re.finditer(r'([+\-]?)(?:"([^"]*)"?|(\S+))', text):
        sign, phrase, word = match.groups()
        if phrase is not None:
            if phrase.strip():
                yield sign, phrase, True
        elif word and word not in ("AND", "OR", "NOT", "&&", "||"):
            yield sign, word, False


# ---------------------------------------------------------------- sort and fl

def compile_sort(spec: Optional[str], score_sql: str, params: Params) -> str:
    schema = get_schema()
    clauses = []
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        pieces = part.split()
        if len(pieces) != 2 or pieces[1].lower() not in ("asc", "desc"):
            raise QuerySyntaxError(
                f"Can't determine a Sort Order (asc or desc) in sort spec '{part}'"
            )
        name, direction = pieces[0], pieces[1].upper()
        if name == "score":
            clauses.append(f"{score_sql} {direction}")
            continue
        field = schema.field(name)
        if field.multivalued:
            raise QuerySyntaxError(f"can not sort on multivalued field: {name}")
        value = f"(fields -> {params(name)} ->> 0)"
        if name in SORT_FIELDS:
            value = name  # the same value, as a btree-indexed column
        if field.kind == "number":
            clauses.append(f"{value}::numeric {direction} NULLS LAST")
        else:
            clauses.append(f"{value} COLLATE \"C\" {direction} NULLS LAST")
    clauses.append("seq ASC")
    return ", ".join(clauses)


def parse_fl(fl: Any) -> tuple[set[str], bool, bool]:
    """-> (named fields, all stored fields?, score?)"""
    if fl is None:
        return set(), True, False
    if isinstance(fl, (list, tuple)):
        fl = " ".join(fl)
    names = {n for n in re.split(r"[\s,]+", str(fl)) if n}
    return names - {"*", "score"}, "*" in names or not names - {"score"}, "score" in names
