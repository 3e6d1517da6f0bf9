"""How a table's rules are written and run: a rule is a polars expression and its words; a column's
rules come from the column dictionary (analysis.columns) and the table's own hand-written ones;
check_table runs them all in one vectorised query and, only when one fails, through pandera to
list every failing cell with its line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from analysis import vocabulary as vocab
from analysis.columns import RAW_TABLES, Field
from analysis.errors import Problem
from analysis.load import LINE, RawTable

ID_PATTERN = vocab.ID_PATTERN
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
INT_PATTERN = r"^[0-9]{1,12}$"
SERIES_QUALIFIERS = [q for q in vocab.QUALIFIER if q != "range"]

Rule = tuple  # (true where the row is fine, the rule in words[, the row's {detail} for the words])
DETAIL = "{detail}"  # in a rule's words: replaced by its detail expression's text at the failing row

# How the messages name the values a column may take (columns.Field.enum): "must be one of the ...".
ENUM_WORDS = {
    "population": "populations",
    "metric": "metrics",
    "qualifier": "qualifiers",
    "period_type": "period types",
    "method": "methods",
    "confidence": "confidence levels",
    "side": "sides in conflict.yml",
    "claimant": "claimants in conflict.yml",
    "statement": "statement_id values of statements.csv",
    "series_qualifier": "qualifiers allowed in a series",
}


@dataclass
class Column:
    name: str
    required: bool = False
    rules: list[Rule] = field(default_factory=list)
    required_rule: str = "is required"


def dictionary_columns(
    table: str,
    sets: dict[str, list[str] | pl.Series],
    own_rules: dict[str, list[Rule]],
    required_rules: dict[str, str] | None = None,
) -> list[Column]:
    """A raw table's columns in the dictionary's order (columns.RAW_TABLES[table]), each with the
    rules its entry declares (field_rules) and then the table's own (`own_rules`: rules that span
    rows or files). `sets`: the values of the conflict's sets the table's enums name (its sides,
    claimants, statements); `required_rules`: a column's own words for a missing value."""
    required_rules = required_rules or {}
    return [
        Column(
            name,
            entry.required,
            [*field_rules(name, entry, sets), *own_rules.get(name, [])],
            required_rules.get(name, "is required"),
        )
        for name, entry in RAW_TABLES[table].items()
    ]


def field_rules(name: str, entry: Field, sets: dict[str, list[str] | pl.Series]) -> list[Rule]:
    """The rules a dictionary entry declares, in this order: its type (a date, a whole number), its
    form (an id, a URL, a pattern), the values it may take, uniqueness."""
    rules = []
    if entry.type == "date":
        rules.append(is_date(name))
    elif entry.type == "integer":  # the raw files' integers are counts: digits only
        rules.append(pattern(name, INT_PATTERN, "must be a non-negative whole number, digits only"))
    if entry.id:
        rules.append(pattern(name, ID_PATTERN, vocab.ID_RULE))
    if entry.url:
        rules.append(pattern(name, vocab.URL_PATTERN, vocab.URL_RULE))
    if entry.pattern:
        rules.append(pattern(name, entry.pattern, entry.pattern_rule))
    if entry.enum:
        allowed = sets[entry.enum] if entry.enum in sets else list(vocab.VOCABULARIES[entry.enum])
        rules.append(one_of(name, allowed, ENUM_WORDS[entry.enum]))
    if entry.unique:
        rules.append(unique(name))
    return rules


def parsed_date(name: str) -> pl.Expr:
    return pl.col(name).str.to_date("%Y-%m-%d", strict=False)


def whole_number(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Int64, strict=False)


def pattern(name: str, regex: str, rule: str) -> Rule:
    return pl.col(name).str.contains(regex), rule


def is_date(name: str) -> Rule:
    return (
        pl.col(name).is_null() | (pl.col(name).str.contains(DATE_PATTERN) & parsed_date(name).is_not_null()),
        "must be a calendar date written YYYY-MM-DD",
    )


def one_of(name: str, allowed: list[str] | pl.Series, what: str) -> Rule:
    shown = ", ".join(allowed) if len(allowed) <= 12 else ", ".join(allowed[:12]) + ", ..."
    return pl.col(name).is_null() | pl.col(name).is_in(values(allowed)), f"must be one of the {what}: {shown}"


def values(given: list[str] | pl.Series) -> list[str] | pl.Series:
    """A set of text values for is_in: a (short) list as it is, or a Series as one list value.
    Ids come as Series straight from the frames: turning tens of thousands of them into a Python
    list and back costs more than the check."""
    return given.implode() if isinstance(given, pl.Series) else given


def unique(name: str) -> Rule:
    return pl.col(name).is_first_distinct() | pl.col(name).is_null(), "must be unique (an earlier line has it)"


def not_before(name: str, start: dt.date | None) -> list[Rule]:
    if start is None:
        return []
    return [(parsed_date(name) >= pl.lit(start), f"must not be before the conflict's start date {start}")]


def check_table(table: RawTable, columns: list[Column], helpers: pl.LazyFrame | None = None) -> list[Problem]:
    """Run one table's rules; return a Problem for every failing cell. `helpers`: columns from
    other files, one row per row of the table in its order, as a query not yet run (the query
    that decides whether every rule holds computes them too)."""
    if table.frame is None:
        return []
    problems: list[Problem] = []
    known = {c.name for c in columns}
    position = {name: i + 1 for i, name in enumerate(table.header)}
    seen: set[str] = set()
    for number, name in enumerate(table.header, start=1):
        if name in seen:
            problems.append(Problem(table.rel, 1, name, None, "column appears twice in the header", number))
        seen.add(name)
    for name in table.header:
        if name not in known:
            problems.append(
                Problem(
                    table.rel,
                    1,
                    name,
                    None,
                    f"unknown column; expected: {', '.join(c.name for c in columns)}",
                    position[name],
                )
            )
    for column in columns:
        if column.name not in position and column.required:
            problems.append(Problem(table.rel, 1, column.name, None, "required column is missing from the header"))
    frame = table.frame.with_columns(
        [pl.lit(None, pl.String).alias(c.name) for c in columns if c.name not in table.frame.columns]
    )
    query = frame.lazy() if helpers is None else pl.concat([frame.lazy(), helpers], how="horizontal_extend")
    checked = [column for column in columns if column.name in position]
    if _all_rules_hold(query, checked):
        return problems  # the usual case, decided in one vectorised pass
    frame = query.collect()
    import pandera.polars as pa  # here: ~0.07 s of import that valid data (every kernel) never needs

    schema = pa.DataFrameSchema(
        {column.name: pa.Column(pl.String, nullable=True, checks=_checks(column)) for column in checked}
    )
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases.join(
            frame.select(pl.int_range(pl.len(), dtype=pl.Int32).alias("index"), pl.col(LINE)), on="index", how="left"
        )
        details = {rule[1]: rule[2] for column in checked for rule in column.rules if len(rule) > 2}
        detail_texts: dict[str, pl.Series] = {}
        for row in failures.iter_rows(named=True):
            rule = row["check"]
            if rule in details and row["index"] is not None:
                if rule not in detail_texts:
                    detail_texts[rule] = frame.select(details[rule].cast(pl.String)).to_series()
                rule = rule.replace(DETAIL, detail_texts[rule][row["index"]] or "?")
            problems.append(
                Problem(table.rel, row[LINE], row["column"], row["failure_case"], rule, position.get(row["column"]))
            )
    return problems


def _all_rules_hold(frame: pl.LazyFrame, columns: list[Column]) -> bool:
    """Every rule of every column in one polars query. pandera runs each check as its own query
    (about 2 ms each, 60 per conflict), which is what it takes to list failing cells, so it only
    runs when this says something fails. A null result passes, as in pandera.

    Lazy, so that the text several rules parse (a date in four rules, a whole number in three) is
    parsed once, and the helper columns are computed in the same query."""
    exprs = []
    for column in columns:
        if column.required:
            exprs.append(pl.col(column.name).is_not_null())
        exprs += [rule[0] for rule in column.rules]
    if not exprs:
        return True
    verdicts = frame.select([e.fill_null(True).all().alias(f"rule_{i}") for i, e in enumerate(exprs)])
    return all(verdicts.collect(optimizations=_RULE_QUERY_OPTIMISATIONS).row(0))


# Only common-subexpression elimination: the other passes (and polars' defaults as a whole) cost
# more to plan, on rules that is_in long id lists, than they save on 15,000 rows (measured).
_RULE_QUERY_OPTIMISATIONS = pl.QueryOptFlags.none()
_RULE_QUERY_OPTIMISATIONS.comm_subexpr_elim = True


def _checks(column: Column) -> list:
    import pandera.polars as pa

    checks = []
    if column.required:
        checks.append(
            pa.Check(
                lambda data, n=column.name: data.lazyframe.select(pl.col(n).is_not_null()), name=column.required_rule
            )
        )
    for expr, rule, *_ in column.rules:
        checks.append(pa.Check(lambda data, e=expr: data.lazyframe.select(e), name=rule))
    return checks
