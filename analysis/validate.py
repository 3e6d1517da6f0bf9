"""Validate a data directory: every rule, every problem at once, each with file, line and column.

Per-table rules are polars expressions. All of them are first evaluated in one vectorised query;
only when one fails does the table go through a pandera schema built from the same expressions,
whose lazy mode collects every failing cell (with its row, for the line number) instead of
stopping at the first. Rules that span files (references, dates against the statement) are
ordinary column checks over helper columns joined in beforehand. conflict.yml is small and
nested, so it is checked in plain Python with line numbers from the YAML parser.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis import vocabulary as vocab
from analysis.errors import Problem
from analysis.load import CONFLICT_FILE, LINE, RawConflict, RawTable, conflict_dirs, read_conflict

ID_PATTERN = r"^[a-z0-9][a-z0-9_.:-]*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
INT_PATTERN = r"^[0-9]{1,12}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Z]{2})?$"
COLOUR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")
SERIES_QUALIFIERS = [q for q in vocab.QUALIFIER if q != "range"]

Rule = tuple  # (true where the row is fine, the rule in words[, the row's {detail} for the words])
DETAIL = "{detail}"  # in a rule's words: replaced by its detail expression's text at the failing row


@dataclass
class Column:
    name: str
    required: bool = False
    rules: list[Rule] = field(default_factory=list)
    required_rule: str = "is required"


def _date(name: str) -> pl.Expr:
    return pl.col(name).str.to_date("%Y-%m-%d", strict=False)


def _int(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Int64, strict=False)


def _pattern(name: str, pattern: str, rule: str) -> Rule:
    return pl.col(name).str.contains(pattern), rule


def _is_date(name: str) -> Rule:
    return (
        pl.col(name).is_null() | (pl.col(name).str.contains(DATE_PATTERN) & _date(name).is_not_null()),
        "must be a calendar date written YYYY-MM-DD",
    )


def _one_of(name: str, allowed: list[str] | pl.Series, what: str) -> Rule:
    shown = ", ".join(allowed) if len(allowed) <= 12 else ", ".join(allowed[:12]) + ", ..."
    return pl.col(name).is_null() | pl.col(name).is_in(_values(allowed)), f"must be one of the {what}: {shown}"


def _values(values: list[str] | pl.Series) -> list[str] | pl.Series:
    """A set of text values for is_in: a (short) list as it is, or a Series as one list value.
    Ids come as Series straight from the frames: turning tens of thousands of them into a Python
    list and back costs more than the check."""
    return values.implode() if isinstance(values, pl.Series) else values


def _unique(name: str) -> Rule:
    return pl.col(name).is_first_distinct() | pl.col(name).is_null(), "must be unique (an earlier line has it)"


def _not_before(name: str, start: dt.date | None) -> list[Rule]:
    if start is None:
        return []
    return [(_date(name) >= pl.lit(start), f"must not be before the conflict's start date {start}")]


def _in_date_order(name: str) -> pl.Expr:
    """False on the record that is out of place. At each descent (a date before its predecessor)
    blame the predecessor when this record still follows the one before it (2022-02-17 between
    -05 and -10 is the typo, not -10), otherwise blame this record."""
    # The dates are parsed once and the comparisons run on the parsed column: written as one
    # expression, every shift of it would parse the column again (16 times).
    return _date(name).map_batches(_dates_in_order, return_dtype=pl.Boolean)


def _dates_in_order(dates: pl.Series) -> pl.Series:
    d = pl.col("date")
    p, pp, n = d.shift(1), d.shift(2), d.shift(-1)
    descent = (d < p).fill_null(False)
    fits_earlier = pl.when(pp.is_null()).then((p > n).fill_null(False)).otherwise(d >= pp)
    blame_previous = descent & fits_earlier
    blame_self = descent & ~blame_previous
    in_order = ~(blame_self | blame_previous.shift(-1).fill_null(False))
    return dates.to_frame("date").select(in_order).to_series().alias(dates.name)


def statement_columns(claimant_ids: list[str], start: dt.date | None) -> list[Column]:
    return [
        Column(
            "statement_id",
            True,
            [
                _pattern("statement_id", ID_PATTERN, "must be an id: lower-case letters, digits, _ . : -"),
                _unique("statement_id"),
            ],
        ),
        Column("claimant_id", True, [_one_of("claimant_id", claimant_ids, "claimants in conflict.yml")]),
        Column("speaker"),
        Column("statement_date", True, [_is_date("statement_date"), *_not_before("statement_date", start)]),
        Column("url", True, [_pattern("url", vocab.URL_PATTERN, vocab.URL_RULE), _one_row_per_document()]),
        Column("outlet", True),
        Column("title"),
        Column(
            "language",
            False,
            [_pattern("language", LANGUAGE_PATTERN, "must be an ISO 639 language code such as en, uk, ru")],
        ),
        Column("speaks_for", False, _speaks_for_rules(claimant_ids)),
        Column("notes"),
    ]


def _speaks_for_rules(claimant_ids: list[str]) -> list[Rule]:
    """A joint briefing names the other bodies it speaks for: claimant ids, separated by ';'."""
    named = pl.col("speaks_for").str.split(";")
    return [
        _pattern(
            "speaks_for",
            rf"{ID_PATTERN[:-1]}(;{ID_PATTERN[1:-1]})*$",
            "must be claimant ids separated by ';' (no spaces), e.g. ua_general_staff;ua_president",
        ),
        (
            named.list.eval(pl.element().is_in(claimant_ids)).list.all(),
            f"must name claimants in conflict.yml: {', '.join(claimant_ids[:12])}"
            f"{', ...' if len(claimant_ids) > 12 else ''}",
        ),
        (
            ~named.list.contains(pl.col("claimant_id")),
            "must not name the statement's own claimant_id (it already speaks for it)",
        ),
        (named.list.n_unique() == named.list.len(), "must not name a claimant twice"),
    ]


def _one_row_per_document() -> Rule:
    """A second row of one claimant for the same source document (same url, same statement_date)
    splits one statement in two: its claims then look like two statements' worth of evidence.
    A document that reports two claimants' figures (an article quoting an estimate and the named
    count it cites) holds two statements, one per claimant."""
    document = ["url", "statement_date", "claimant_id"]
    earlier = pl.concat_str(
        [
            pl.col("statement_id").first().over(document).fill_null("(no id)"),
            pl.lit(" at line "),
            pl.col(LINE).first().over(document).cast(pl.String),
        ]
    )
    return (
        pl.struct(document).is_first_distinct() | pl.col("url").is_null() | pl.col("statement_date").is_null(),
        f"one row per claimant and source document: an earlier line has the same url, statement_date "
        f"and claimant_id; "
        f"merge into statement {DETAIL}",
        earlier,
    )


def claim_columns(
    sides: list[str],
    start: dt.date | None,
    known_claim_ids: list[str] | pl.Series,
    series_claim_ids: list[str] | pl.Series,
    statement_ids: list[str] | pl.Series,
    unreadable_series: list[str] = (),
) -> list[Column]:
    is_range = pl.col("qualifier") == "range"
    may_span = pl.col("qualifier").is_in(["range", *vocab.OPEN_RANGE_QUALIFIERS])
    has_span = pl.col("value_low").is_not_null() & pl.col("value_high").is_not_null()
    dated = pl.col("period_type").is_in(["period", "incident"])
    duplicate_key = [
        "_claimant_id",
        "subject_side",
        "population",
        "metric",
        "period_type",
        "period_start_date",
        "as_of_date",
        "qualifier",
        "value",
        "value_low",
        "value_high",
    ]
    return [
        Column(
            "claim_id",
            True,
            [
                _pattern("claim_id", ID_PATTERN, "must be an id: lower-case letters, digits, _ . : -"),
                _unique("claim_id"),
                (~pl.col("claim_id").is_in(_values(series_claim_ids)), "must not reuse the id of a series claim"),
                (
                    pl.struct(duplicate_key).is_first_distinct(),
                    "duplicate claim: an earlier line has the same claimant, subject, population, metric, "
                    "period, as-of date and value",
                ),
                (
                    pl.col("_series_record").is_null(),
                    f"repeats the series record {DETAIL} (same claimant, subject, population, metric, as-of date, "
                    "qualifier and value): a figure is counted once, so delete this row or the record",
                    pl.col("_series_record"),
                ),
            ],
        ),
        Column("statement_id", True, [_one_of("statement_id", statement_ids, "statement_id values of statements.csv")]),
        Column("subject_side", True, [_one_of("subject_side", sides, "sides in conflict.yml")]),
        Column("population", True, [_one_of("population", list(vocab.POPULATION), "populations")]),
        Column("metric", True, [_one_of("metric", list(vocab.METRIC), "metrics")]),
        Column("qualifier", True, [_one_of("qualifier", list(vocab.QUALIFIER), "qualifiers")]),
        Column(
            "value",
            False,
            [
                _pattern("value", INT_PATTERN, "must be a non-negative whole number, digits only"),
                (
                    is_range | (may_span & has_span) | pl.col("value").is_not_null(),
                    "is required unless the qualifier is range or an open-ended range gives value_low and value_high",
                ),
                (
                    (_int("value_low") <= _int("value")) & (_int("value") <= _int("value_high")),
                    "must lie between value_low and value_high",
                ),
                ((pl.col("metric") != "civilian_share_pct") | (_int("value") <= 100), PERCENT_RULE),
            ],
        ),
        Column(
            "value_low",
            False,
            [
                _pattern("value_low", INT_PATTERN, "must be a non-negative whole number, digits only"),
                (
                    pl.when(is_range)
                    .then(pl.col("value_low").is_not_null())
                    .when(may_span)
                    .then(pl.col("value_low").is_null() | pl.col("value_high").is_not_null())
                    .otherwise(pl.col("value_low").is_null()),
                    SPAN_RULE,
                ),
            ],
        ),
        Column(
            "value_high",
            False,
            [
                _pattern("value_high", INT_PATTERN, "must be a non-negative whole number, digits only"),
                (
                    pl.when(is_range)
                    .then(pl.col("value_high").is_not_null())
                    .when(may_span)
                    .then(pl.col("value_high").is_null() | pl.col("value_low").is_not_null())
                    .otherwise(pl.col("value_high").is_null()),
                    SPAN_RULE,
                ),
                (_int("value_low") <= _int("value_high"), "must not be below value_low"),
                ((pl.col("metric") != "civilian_share_pct") | (_int("value_high") <= 100), PERCENT_RULE),
            ],
        ),
        Column("period_type", True, [_one_of("period_type", list(vocab.PERIOD_TYPE), "period types")]),
        Column(
            "period_start_date",
            False,
            [
                _is_date("period_start_date"),
                (
                    pl.when(dated)
                    .then(pl.col("period_start_date").is_not_null())
                    .otherwise(pl.col("period_start_date").is_null()),
                    "is required for period and incident claims and must be empty for cumulative and snapshot ones",
                ),
                (_date("period_start_date") <= _date("as_of_date"), "must not be after as_of_date"),
            ],
        ),
        Column(
            "as_of_date",
            True,
            [
                _is_date("as_of_date"),
                (
                    _date("as_of_date") <= pl.col("_statement_date"),
                    f"must not be after the statement's statement_date {DETAIL} "
                    "(a claim cannot count beyond the day it was made)",
                    pl.col("_statement_date").dt.to_string("%Y-%m-%d"),
                ),
                *_not_before("as_of_date", start),
            ],
        ),
        Column("method", True, [_one_of("method", list(vocab.METHOD), "methods")]),
        Column("confidence", True, [_one_of("confidence", list(vocab.CONFIDENCE), "confidence levels")]),
        Column(
            "derived_from",
            False,
            [
                # a reference into a series that could not be read is not checked (its problem is reported)
                (
                    pl.col("derived_from").is_null()
                    | pl.col("derived_from").is_in(_values(known_claim_ids))
                    | pl.any_horizontal(
                        [pl.col("derived_from").str.starts_with(f"{sid}.") for sid in unreadable_series]
                        or [pl.lit(False)]
                    ),
                    "must be one of the claim ids of this conflict (claims.csv or a series)",
                ),
                (pl.col("derived_from") != pl.col("claim_id"), "must not name the claim itself"),
                (
                    (pl.col("_derived_side") == pl.col("subject_side"))
                    & (
                        (pl.col("_derived_population") == pl.col("population"))
                        | (pl.col("_derived_population") == "all")
                    ),
                    f"must point to a claim about the same subject side and the same population or everyone "
                    f"(population all: a part read from a total) ({DETAIL})",
                    pl.concat_str(
                        [
                            pl.col("derived_from"),
                            pl.lit(" is about "),
                            pl.col("_derived_side").fill_null("?"),
                            pl.lit(" "),
                            pl.col("_derived_population").fill_null("?"),
                            pl.lit(", this claim about "),
                            pl.col("subject_side").fill_null("?"),
                            pl.lit(" "),
                            pl.col("population").fill_null("?"),
                        ]
                    ),
                ),
            ],
        ),
        Column(
            "source_term",
            False,
            [
                (
                    pl.col("quote")
                    .str.to_lowercase()
                    .str.contains(pl.col("source_term").str.to_lowercase(), literal=True),
                    "must be the source's own words, as they appear in the claim's quote (case aside)",
                ),
            ],
        ),
        Column(
            "quote",
            True,
            [
                (pl.col("quote").str.contains(r"\S"), "must hold the source's own words, not only spaces"),
            ],
            required_rule=QUOTE_RULE,
        ),
        Column("notes"),
    ]


SPAN_RULE = (
    "is required for qualifier range; for at_least, more_than and up_to, value_low and value_high "
    "come together (a stated range with an open end, 'at least 7,000-8,000') or not at all; empty for "
    "other qualifiers (their bounds are derived)"
)
PERCENT_RULE = "a civilian_share_pct is a percentage: at most 100"
QUOTE_RULE = "is required: copy the source's own words that give the number (every number carries its quote)"


def series_columns(start: dt.date | None) -> list[Column]:
    return [
        Column(
            "date",
            True,
            [
                _is_date("date"),
                _unique("date"),
                *_not_before("date", start),
                (_in_date_order("date"), "is out of date order (a series runs from oldest to newest)"),
            ],
        ),
        Column("value", True, [_pattern("value", INT_PATTERN, "must be a non-negative whole number, digits only")]),
        Column("qualifier", True, [_one_of("qualifier", SERIES_QUALIFIERS, "qualifiers allowed in a series")]),
    ]


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


@dataclass
class ConflictSummary:
    conflict_id: str
    claimants: int
    statements: int
    claims: int
    series_claims: int


def validate_conflict(raw: RawConflict) -> tuple[ConflictSummary, list[Problem]]:
    problems = list(raw.problems)
    if raw.meta is None:
        # Without conflict.yml there is nothing to check references against: report the reason
        # once instead of a cascade of false problems in every row.
        return ConflictSummary(raw.rel, 0, 0, 0, 0), problems
    meta = raw.meta
    problems += check_meta(raw)
    start = _parse_date(meta.get("start_date"))
    sides = _text_ids(meta.get("sides"), "side_id")
    claimants = _text_ids(meta.get("claimants"), "claimant_id")
    series_entries = {str(e.get("series_id")): e for e in _dicts(meta.get("series"))}

    # Ids stay polars Series (see _values).
    series_claim_ids = pl.Series([], dtype=pl.String)
    unreadable_series: list[str] = [
        sid for sid in series_entries if sid not in raw.series or raw.series[sid].frame is None
    ]
    for series_id, table in raw.series.items():
        problems += check_table(table, series_columns(start))
        if table.frame is not None and "date" in table.frame.columns:
            series_claim_ids.append(series_claim_id(series_id, table.frame["date"].drop_nulls()))

    statement_ids = pl.Series([], dtype=pl.String)
    statement_frame = raw.statements.frame
    if statement_frame is not None:
        problems += check_table(raw.statements, statement_columns(claimants, start))
        statement_ids = statement_frame.get_column("statement_id", default=statement_ids).drop_nulls()

    claim_count = 0
    claims_frame = raw.claims.frame
    if claims_frame is not None:
        claim_count = claims_frame.height
        helpers = _claim_helpers(claims_frame, statement_frame, _series_records(raw, series_entries))
        known_ids = claims_frame.get_column("claim_id", default=pl.Series([], dtype=pl.String)).drop_nulls()
        problems += check_table(
            raw.claims,
            claim_columns(
                sides,
                start,
                pl.concat([known_ids, series_claim_ids]),
                series_claim_ids,
                statement_ids,
                unreadable_series,
            ),
            helpers,
        )
    summary = ConflictSummary(
        str(meta.get("conflict_id", raw.rel)), len(claimants), len(statement_ids), claim_count, len(series_claim_ids)
    )
    return summary, problems


def series_claim_id(series_id: str, dates: pl.Series) -> pl.Series:
    """Claim ids of a series' records: `<series_id>.<date>`, stable so others can cite them."""
    return f"{series_id}." + dates


HELPER_COLUMNS = {
    "_statement_date": pl.Date,
    "_claimant_id": pl.String,
    "_derived_side": pl.String,
    "_derived_population": pl.String,
    "_series_record": pl.String,
}


@dataclass
class SeriesRecords:
    """The readable series of a conflict, for rules about the claims that name or repeat their
    records. Each record stands for the claim `<series_id>.<date>` of the entry's claimant,
    subject_side, population and metric, as of its date, with its qualifier and value."""

    tables: list[tuple[str, dict, RawTable]] = field(default_factory=list)  # (series_id, entry, table)

    def claimants(self) -> list[str]:
        return list(dict.fromkeys(str(e["claimant_id"]) for _, e, _ in self.tables if e.get("claimant_id") is not None))

    def targets(self) -> list[pl.LazyFrame]:
        """(_target_id, subject_side, population) of every record."""
        return [
            table.frame.lazy().select(
                pl.concat_str([pl.lit(f"{series_id}."), pl.col("date")]).alias("_target_id"),
                *[pl.lit(_text(entry.get(key)), pl.String).alias(key) for key in ("subject_side", "population")],
            )
            for series_id, entry, table in self.tables
        ]

    def repeated(self, candidates: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
        """(_row, _series_record) of the candidate claims (_row, *key, as_of_date, _value) equal to
        a record, the first record when several are; the record named with where it is written."""
        frames = [pl.LazyFrame(schema={"_row": pl.UInt32, "_series_record": pl.String})]
        for series_id, entry, table in self.tables:
            constants = {
                "_claimant_id": entry.get("claimant_id"),
                "subject_side": entry.get("subject_side"),
                "population": entry.get("population"),
                "metric": entry.get("metric"),
            }
            records = table.frame.lazy().select(
                pl.col("date").alias("as_of_date"),
                _int("value").alias("_value"),
                pl.col("qualifier").alias("_qualifier"),
                LINE,
            )
            frames.append(
                candidates.filter(*(pl.col(k) == _text(v) for k, v in constants.items()))
                .join(records, on=["as_of_date", "_value"], how="inner", maintain_order="left_right")
                .filter(pl.col("qualifier") == pl.col("_qualifier"))
                .select(
                    "_row",
                    pl.concat_str(
                        [
                            pl.lit(f"{series_id}."),
                            pl.col("as_of_date"),
                            pl.lit(f" at {table.rel}:"),
                            pl.col(LINE).cast(pl.String),
                        ]
                    ).alias("_series_record"),
                )
            )
        return pl.concat(frames).unique("_row", keep="first", maintain_order=True)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _series_records(raw: RawConflict, entries: dict[str, dict]) -> SeriesRecords:
    """Every readable series (in conflict.yml, with date, value and qualifier columns)."""
    return SeriesRecords(
        [
            (series_id, entries[series_id], table)
            for series_id, table in raw.series.items()
            if series_id in entries
            and table.frame is not None
            and {"date", "value", "qualifier"} <= set(table.frame.columns)
        ]
    )


def _claim_helpers(
    claims: pl.DataFrame, statements: pl.DataFrame | None, series: SeriesRecords | None = None
) -> pl.LazyFrame:
    """Per-claim columns from the claim's statement, the claim it is derived from and the series
    record it repeats, for rules that span files: HELPER_COLUMNS, one row per claim in its order,
    as a query not yet run (check_table runs it in the one query of every rule).

    Each lookup takes only the few columns it needs, and only the rows that can match (claims
    with a derived_from and the claims or records they name; cumulative claims of a series'
    claimant, matched on date and value first, few records share both), then joins back on the
    row number; a lookup that cannot match is not made (its column is empty). On a million claims
    joining the wide frame on seven text keys cost more than every other rule together."""
    series = series or SeriesRecords()

    def column(name: str) -> pl.Expr:
        return pl.col(name) if name in claims.columns else pl.lit(None, pl.String).alias(name)

    rows = claims.lazy().select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), column("statement_id"))
    if statements is None or "statement_id" not in statements.columns:
        statements = pl.DataFrame(schema={"statement_id": pl.String})
    lookup = (
        statements.lazy()
        .select(
            pl.col("statement_id"),
            _date("statement_date").alias("_statement_date")
            if "statement_date" in statements.columns
            else pl.lit(None, pl.Date).alias("_statement_date"),
            (pl.col("claimant_id") if "claimant_id" in statements.columns else pl.lit(None, pl.String)).alias(
                "_claimant_id"
            ),
        )
        .unique("statement_id", keep="first")
    )
    helpers = rows.join(lookup, on="statement_id", how="left", maintain_order="left")

    # the claim named in derived_from (a curated claim or a series record): only the rows naming one
    if "derived_from" in claims.columns and claims["derived_from"].null_count() < claims.height:
        naming = (
            claims.lazy()
            .select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "derived_from")
            .filter(pl.col("derived_from").is_not_null())
        )
        targets = (
            pl.concat(
                [
                    claims.lazy().select(
                        column("claim_id").alias("_target_id"), column("subject_side"), column("population")
                    ),
                    *series.targets(),
                ]
            )
            .join(naming, left_on="_target_id", right_on="derived_from", how="semi", maintain_order="left")
            .unique("_target_id", keep="first")
        )
        found = naming.join(targets, left_on="derived_from", right_on="_target_id", how="inner")
        helpers = helpers.join(
            found.select(
                "_row", pl.col("subject_side").alias("_derived_side"), pl.col("population").alias("_derived_population")
            ),
            on="_row",
            how="left",
            maintain_order="left",
        )
    else:
        helpers = helpers.with_columns(
            pl.lit(None, pl.String).alias("_derived_side"), pl.lit(None, pl.String).alias("_derived_population")
        )

    # the series record a cumulative claim repeats: only claims of a claimant that has a series
    series_claimants = series.claimants()
    if series_claimants:
        key = ["_claimant_id", "subject_side", "population", "metric", "qualifier"]
        candidates = (
            claims.lazy()
            .select(
                pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
                column("statement_id"),
                *map(column, key[1:]),
                column("as_of_date"),
                _int("value").alias("_value") if "value" in claims.columns else pl.lit(None, pl.Int64).alias("_value"),
                column("period_type"),
            )
            .filter(pl.col("period_type") == "cumulative")
            .join(lookup.filter(pl.col("_claimant_id").is_in(series_claimants)), on="statement_id", how="inner")
        )
        helpers = helpers.join(series.repeated(candidates, key), on="_row", how="left", maintain_order="left")
    else:
        helpers = helpers.with_columns(pl.lit(None, pl.String).alias("_series_record"))
    return helpers.select(list(HELPER_COLUMNS))


def check_meta(raw: RawConflict) -> list[Problem]:
    """Rules for conflict.yml: required keys, ids, colours, claimant sides and kinds, series."""
    meta = raw.meta
    if meta is None:
        return []
    rel = f"{raw.rel}/{CONFLICT_FILE}"
    lines = raw.meta_lines
    problems: list[Problem] = []

    text_lines: list[str] = []

    def problem(path: tuple, value, rule: str) -> None:
        line = lines.get(path) or lines.get(path[:-1]) or lines.get(path[:1])
        if value is None and path in lines and rule == "is required":
            rule += _comment_hint(path[-1], line, text_lines, raw.conflict_dir / CONFLICT_FILE)
        problems.append(
            Problem(rel, line, str(path[-1]) if path else None, None if value is None else str(value), rule)
        )

    folder = raw.conflict_dir.name
    for key in ("conflict_id", "name", "start_date", "sides", "claimants"):
        if meta.get(key) in (None, "", []):
            problem((key,), None, "is required")
    if meta.get("conflict_id") not in (None, folder):
        problem(("conflict_id",), meta["conflict_id"], f"must equal the folder name '{folder}'")
    if meta.get("start_date") is not None and _parse_date(meta["start_date"]) is None:
        problem(("start_date",), meta["start_date"], "must be a calendar date written YYYY-MM-DD")
    problems_before = len(problems)
    if meta.get("end_date") is not None and _parse_date(meta["end_date"]) is None:
        problem(("end_date",), meta["end_date"], "must be a calendar date written YYYY-MM-DD (or left out)")
    if (
        len(problems) == problems_before
        and meta.get("end_date") is not None
        and _parse_date(meta.get("start_date"))
        and _parse_date(meta["end_date"]) < _parse_date(meta["start_date"])
    ):
        problem(("end_date",), meta["end_date"], "must not be before start_date")
    within = meta.get("pair_within_days")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int) or within < 0):
        problem(("pair_within_days",), within, "must be a whole number of days >= 0 (or left out: 7)")
    share = meta.get("about_max_share")
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1):
        problem(("about_max_share",), share, "must be a number with 0 < share <= 1 (or left out: 0.1)")

    side_ids = _check_list(meta, "sides", "side_id", ("label", "colour"), problem)
    for i, side in enumerate(_dicts(meta.get("sides"))):
        if side.get("colour") is not None and not COLOUR_PATTERN.match(str(side["colour"])):
            problem(("sides", i, "colour"), side["colour"], "must be a hex colour like '#0072B2'")
        if side.get("side_id") in vocab.NON_BELLIGERENT_SIDES:
            problem(("sides", i, "side_id"), side["side_id"], "is reserved for claimants that are not a side")
        labels = side.get("population_labels")
        if labels is not None and (
            not isinstance(labels, dict)
            or any(k not in vocab.POPULATION or not isinstance(v, str) or not v.strip() for k, v in labels.items())
        ):
            problem(
                ("sides", i, "population_labels"),
                labels,
                f"must map populations ({', '.join(vocab.POPULATION)}) to words for whose losses, as text",
            )
    if len(side_ids) < 2 and meta.get("sides"):
        problem(("sides",), None, "a conflict needs at least two sides")

    leads = meta.get("overview_leads")
    if leads is not None and (
        not isinstance(leads, list)
        or not all(
            isinstance(lead, dict) and lead.get("side") in side_ids and lead.get("population") in vocab.POPULATION
            for lead in leads
        )
    ):
        problem(
            ("overview_leads",),
            leads,
            f"must be a list of {{side, population}}: sides {', '.join(side_ids)}; "
            f"populations {', '.join(vocab.POPULATION)}",
        )
    allowed_sides = side_ids + list(vocab.NON_BELLIGERENT_SIDES)
    claimant_ids = _check_list(
        meta, "claimants", "claimant_id", ("name", "side", "kind", "independence_group"), problem
    )
    for i, claimant in enumerate(_dicts(meta.get("claimants"))):
        if claimant.get("side") is not None and claimant["side"] not in allowed_sides:
            problem(("claimants", i, "side"), claimant["side"], f"must be one of: {', '.join(allowed_sides)}")
        if claimant.get("kind") is not None and claimant["kind"] not in vocab.CLAIMANT_KIND:
            problem(("claimants", i, "kind"), claimant["kind"], f"must be one of: {', '.join(vocab.CLAIMANT_KIND)}")

    _check_list(
        meta,
        "series",
        "series_id",
        (
            "path",
            "claimant_id",
            "subject_side",
            "population",
            "metric",
            "method",
            "confidence",
            "url",
            "outlet",
            "licence",
        ),
        problem,
    )
    for i, entry in enumerate(_dicts(meta.get("series"))):
        for key, allowed in (
            ("claimant_id", claimant_ids),
            ("subject_side", side_ids),
            ("population", list(vocab.POPULATION)),
            ("metric", list(vocab.METRIC)),
            ("method", list(vocab.METHOD)),
            ("confidence", list(vocab.CONFIDENCE)),
        ):
            if entry.get(key) is not None and entry[key] not in allowed:
                problem(("series", i, key), entry[key], f"must be one of: {', '.join(map(str, allowed))}")
        if entry.get("url") is not None and not vocab.is_url(str(entry["url"])):
            problem(("series", i, "url"), entry["url"], vocab.URL_RULE)
        if entry.get("source_term") is not None and (
            not isinstance(entry["source_term"], str) or not entry["source_term"].strip()
        ):
            problem(
                ("series", i, "source_term"),
                entry["source_term"],
                "must be the series' own words for what it counts, as text (or left out)",
            )
        if entry.get("period_type", "cumulative") != "cumulative":
            problem(("series", i, "period_type"), entry["period_type"], "a series must be cumulative")
    _check_truces(meta, problem)
    return problems


def _check_truces(meta: dict, problem) -> None:
    """A truce: sourced dates inside the conflict, end not before start, none overlapping another."""
    _check_list(meta, "truces", "truce_id", ("name", "start_date", "url", "quote"), problem)
    start = _parse_date(meta.get("start_date"))
    spans: list[tuple[dt.date, dt.date | None, int]] = []
    for i, truce in enumerate(_dicts(meta.get("truces"))):
        begin = truce.get("start_date")
        if begin is not None and _parse_date(begin) is None:
            problem(("truces", i, "start_date"), begin, "must be a calendar date written YYYY-MM-DD")
        elif begin is not None and start and _parse_date(begin) < start:
            problem(("truces", i, "start_date"), begin, "must not be before the conflict's start_date")
        end = truce.get("end_date")
        if end is not None and _parse_date(end) is None:
            problem(
                ("truces", i, "end_date"),
                end,
                "must be a calendar date written YYYY-MM-DD (or left out while it holds)",
            )
        elif end is not None and _parse_date(begin) and _parse_date(end) < _parse_date(begin):
            problem(("truces", i, "end_date"), end, "must not be before the truce's start_date")
        if truce.get("url") is not None and not vocab.is_url(str(truce["url"])):
            problem(("truces", i, "url"), truce["url"], vocab.URL_RULE)
        if _parse_date(begin) and (end is None or _parse_date(end)):
            spans.append((_parse_date(begin), _parse_date(end) if end is not None else None, i))
    spans.sort(key=lambda span: span[0])
    for (_, earlier_end, _), (later_start, _, later) in itertools.pairwise(spans):
        if earlier_end is None or later_start <= earlier_end:
            problem(
                ("truces", later, "start_date"),
                later_start.isoformat(),
                "truces must not overlap: an earlier truce has not ended by this date",
            )


def _comment_hint(key, line: int | None, text_lines: list[str], path: Path) -> str:
    """`colour: #D55E00` reads as an empty colour: YAML takes ` #` as the start of a comment.
    When the key's line has a comment where its value should be, say how to write it."""
    if line is None:
        return ""
    if not text_lines:
        try:
            text_lines += path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            return ""
    if line > len(text_lines):
        return ""
    match = re.match(rf"^\s*(?:-\s+)?{re.escape(str(key))}\s*:\s+(#.*?)\s*$", text_lines[line - 1])
    if not match:
        return ""
    return (
        f" (YAML reads a # after a space as the start of a comment, so the value is empty): "
        f'quote it: {key}: "{match.group(1)}"'
    )


def _check_list(meta: dict, key: str, id_key: str, required: tuple[str, ...], problem) -> list[str]:
    items = meta.get(key) or []
    if not isinstance(items, list):
        problem((key,), None, "must be a list")
        return []
    ids: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problem((key, i), item, "must be a mapping of keys")
            continue
        for req in (id_key, *required):
            if item.get(req) in (None, ""):
                problem((key, i, req), None, "is required")
        item_id = item.get(id_key)
        if item_id is None:
            continue
        if not isinstance(item_id, str):  # YAML reads 42 as a number, 2022-01-01 as a date
            problem((key, i, id_key), item_id, "must be an id written as text: put it in quotes")
        elif not re.match(ID_PATTERN, item_id):
            problem((key, i, id_key), item_id, "must be an id: lower-case letters, digits, _ . : -")
        if item_id in ids:
            problem((key, i, id_key), item_id, "must be unique (an earlier entry has it)")
        ids.append(str(item_id))
    return ids


def _text_ids(items, id_key: str) -> list[str]:
    """The ids the CSV rules check against: only those written as text (check_meta reports the
    rest), so a number or a missing id in conflict.yml is one problem, not a crash."""
    return [d[id_key] for d in _dicts(items) if isinstance(d.get(id_key), str)]


def _dicts(items) -> list[dict]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _parse_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if re.match(DATE_PATTERN, str(value)) else None
    except ValueError:
        return None


@dataclass
class DataSummary:
    conflicts: list[ConflictSummary]

    def line(self) -> str:
        c = self.conflicts
        return (
            f"valid: {len(c)} conflict(s), {sum(x.claimants for x in c)} claimants, "
            f"{sum(x.statements for x in c)} statements, "
            f"{sum(x.claims for x in c):,} claims + {sum(x.series_claims for x in c):,} series claims"
        )


def validate_data_dir(data_dir: Path) -> tuple[DataSummary, list[Problem]]:
    """Validate every conflict under data_dir; an empty directory is itself a problem."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return DataSummary([]), [Problem(str(data_dir), None, None, None, "data directory does not exist")]
    dirs = conflict_dirs(data_dir)
    if not dirs:
        return DataSummary([]), [
            Problem(str(data_dir), None, None, None, f"no conflict found: expected <conflict-id>/{CONFLICT_FILE}")
        ]
    summaries, problems = [], []
    for conflict_dir in dirs:
        summary, found = validate_conflict(read_conflict(conflict_dir, data_dir))
        summaries.append(summary)
        problems += found
    return DataSummary(summaries), problems
