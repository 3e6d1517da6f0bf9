"""One call from raw files to a conflict's validated, typed claims with bounds applied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from analysis import arguments, columns
from analysis.arguments import refusing
from analysis.bounds import DEFAULT_ABOUT_MAX_SHARE, apply_bounds, check_about_max_share, tighten_by_series
from analysis.errors import DataValidationError
from analysis.load import LINE, RawConflict, conflict_dirs, default_data_dir, read_conflict
from analysis.validate import series_claim_id, validate_conflict
from analysis.vocabulary import SERIES_SOURCE_PREFIX, claimant_role

DEFAULT_PAIR_WITHIN_DAYS = 7  # a daily series pairs within a week; a sparse conflict sets its own in conflict.yml


@dataclass(frozen=True)
class Conflict:
    """A validated conflict: its metadata and typed tables. Frames are never mutated."""

    conflict_id: str
    name: str
    start_date: dt.date
    sides: pl.DataFrame  # side_id, label, colour
    claimants: pl.DataFrame  # claimant_id, name, short_name, side, kind, independence_group, notes
    statements: pl.DataFrame  # typed statements, series daily reports included
    claims: pl.DataFrame  # typed claims with bounds, role and source
    meta: dict
    end_date: dt.date | None = None  # ceasefire or end of fighting (conflict.yml), if it has ended
    pair_within_days: int = DEFAULT_PAIR_WITHIN_DAYS  # two claimants' figures further apart are not compared
    about_max_share: float = DEFAULT_ABOUT_MAX_SHARE  # the cap of the 'about' rule (analysis.bounds)
    data_dir: Path | None = None  # the data dir it was loaded from (its reference tables live there too)
    truces: pl.DataFrame = field(default_factory=lambda: _truce_frame([]))  # pauses in the fighting (conflict.yml)

    @property
    def data_as_of(self) -> dt.date:
        """The latest as-of date in the conflict's data: every report measures ages from it."""
        latest = self.claims["as_of_date"].max() if self.claims.height else None
        return latest or self.start_date

    def side_label(self, side_id: str) -> str:
        return self.sides.filter(pl.col("side_id") == side_id)["label"].item()

    def subject_phrase(self, side_id: str, population: str) -> str:
        """Whose losses, in words: the side's own phrase from conflict.yml (sides[].population_labels)
        or "Russia's military losses", "Israel's civilian losses", "Gaza's losses, combatants and
        civilians together"."""
        for side in self.meta.get("sides") or []:
            if side.get("side_id") == side_id and population in (side.get("population_labels") or {}):
                return str(side["population_labels"][population])
        label = self.side_label(side_id)
        if population == "all":
            return f"{label}'s losses, combatants and civilians together"
        return f"{label}'s {population} losses"


@refusing
def list_conflicts(data_dir: Path | None = None) -> list[str]:
    return [d.name for d in conflict_dirs(arguments.directory("data_dir", data_dir) or Path(default_data_dir()))]


@refusing
def load_conflict(conflict_id: str, data_dir: Path | None = None, *, about_max_share: float | None = None) -> Conflict:
    """Read, validate and type one conflict; raise DataValidationError listing every problem.
    `about_max_share` overrides conflict.yml's cap of the 'about' rule (analysis.bounds).
    An unknown conflict id or a missing data_dir is errors.ParameterError, listing the valid ids."""
    if about_max_share is not None:
        about_max_share = check_about_max_share(about_max_share)
    data_dir = arguments.directory("data_dir", data_dir) or Path(default_data_dir())
    known = list_conflicts(data_dir)
    arguments.one_of("conflict_id", conflict_id, known, what="conflict", source="the data directory")
    folder = data_dir / conflict_id
    raw = read_conflict(folder, data_dir)
    _, problems = validate_conflict(raw)
    if problems:
        raise DataValidationError(problems)
    return replace(_typed_conflict(raw, about_max_share), data_dir=data_dir)


@refusing
def load_claims(conflict_id: str, data_dir: Path | None = None) -> pl.DataFrame:
    """A conflict's validated claims as one typed polars DataFrame with bounds applied."""
    return load_conflict(conflict_id, data_dir).claims


def _typed_conflict(raw: RawConflict, about_max_share: float | None = None) -> Conflict:
    meta = raw.meta
    if about_max_share is None:
        about_max_share = float(meta.get("about_max_share", DEFAULT_ABOUT_MAX_SHARE))
    sides = pl.DataFrame([{k: s.get(k) for k in ("side_id", "label", "colour")} for s in meta["sides"]])
    claimant_keys = list(columns.RAW_TABLES["claimants"])
    claimants = pl.DataFrame(
        [{k: _text(c.get(k)) for k in claimant_keys} for c in meta["claimants"]],
        schema={k: pl.String for k in claimant_keys},
    )
    claimants = claimants.with_columns(pl.coalesce("short_name", "name").alias("short_name"))

    statements = _typed_statements(raw.statements.frame)
    # The claims are one lazy query from typing to sorting: polars plans and runs it once.
    curated = _typed_claims(raw.claims.frame.lazy(), statements.lazy())
    series_statements, series_claims = _series_tables(raw)
    statements = pl.concat([statements, series_statements], how="diagonal_relaxed")
    claims = _drop_series_duplicates(curated, series_claims)

    claims = (
        claims.lazy()
        .join(
            claimants.lazy().select(
                "claimant_id",
                pl.col("name").alias("claimant_name"),
                pl.col("short_name").alias("claimant_short_name"),
                pl.col("side").alias("claimant_side"),
                "independence_group",
            ),
            on="claimant_id",
            how="left",
        )
        .join(_roles(claimants["side"], sides["side_id"]).lazy(), on=["claimant_side", "subject_side"], how="left")
        .with_columns(
            conflict_id=pl.lit(meta["conflict_id"]),
            speaks_for_names=_speaks_for_names(claimants)
            if statements["speaks_for"].null_count() < statements.height
            else pl.lit(None, pl.String),
        )  # joint statements are rare: most data has none
        .pipe(apply_bounds, about_max_share=about_max_share)
        .with_columns(is_dependent=pl.col("derived_from").is_not_null())
        .sort("as_of_date", "claimant_id", "claim_id")
        .collect()
        .pipe(tighten_by_series)
    )  # on claims in as-of order: no sort of its own
    # The group of the claim each claim derives from, looked up on the two columns involved
    # (claim ids are unique once validated, so one match at most and the order is kept).
    groups = claims.select(
        pl.col("claim_id").alias("derived_from"), pl.col("independence_group").alias("derived_from_group")
    )
    derived_from_group = claims.select("derived_from").join(
        groups, on="derived_from", how="left", maintain_order="left"
    )["derived_from_group"]
    claims = claims.with_columns(derived_from_group).select(CLAIM_COLUMNS)
    end_date = meta.get("end_date")
    return Conflict(
        meta["conflict_id"],
        meta["name"],
        dt.date.fromisoformat(str(meta["start_date"])),
        sides,
        claimants,
        statements,
        claims,
        meta,
        end_date=dt.date.fromisoformat(str(end_date)) if end_date is not None else None,
        pair_within_days=int(meta.get("pair_within_days", DEFAULT_PAIR_WITHIN_DAYS)),
        about_max_share=about_max_share,
        truces=_truce_frame(meta.get("truces") or []),
    )


TRUCE_SCHEMA = {
    "truce_id": pl.String,
    "name": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "url": pl.String,
    "quote": pl.String,
}


def _truce_frame(entries: list[dict]) -> pl.DataFrame:
    """Truces in date order; `end_date` null while one holds."""

    def date(value):
        return None if value is None else dt.date.fromisoformat(str(value))

    rows = [
        {
            "truce_id": t["truce_id"],
            "name": t["name"],
            "start_date": date(t["start_date"]),
            "end_date": date(t.get("end_date")),
            "url": t["url"],
            "quote": t["quote"],
        }
        for t in entries
    ]
    return pl.DataFrame(rows, schema=TRUCE_SCHEMA).sort("start_date")


# The loaded claims' columns, in order (the column dictionary's loaded claims table).
CLAIM_COLUMNS = list(columns.CLAIMS)
# Table Schema types as polars types: what each column of the dictionary is once loaded.
DTYPES = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean, "date": pl.Date}


def _speaks_for_names(claimants: pl.DataFrame) -> pl.Expr:
    """A joint statement's other bodies by their short names ('Kyiv (President), Kyiv (C-in-C)')."""
    names = dict(zip(claimants["claimant_id"], claimants["short_name"], strict=True))
    return (
        pl.col("speaks_for")
        .str.split(";")
        .list.eval(pl.element().replace_strict(names, default=pl.element(), return_dtype=pl.String))
        .list.join(", ")
    )


def _roles(claimant_sides: pl.Series, subject_sides: pl.Series) -> pl.DataFrame:
    """The role of every claimant side towards every side's losses (vocabulary.claimant_role, the
    one derivation): a few rows to join on the claims, however many claims there are."""
    pairs = [
        (claimant_side, subject_side, claimant_role(claimant_side, subject_side))
        for claimant_side in claimant_sides.unique(maintain_order=True)
        for subject_side in subject_sides
    ]
    return pl.DataFrame(
        pairs, schema={"claimant_side": pl.String, "subject_side": pl.String, "role": pl.String}, orient="row"
    )


def _typed_statements(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(_typed_columns(frame, "statements.csv"))


def _typed_columns(frame: pl.DataFrame | pl.LazyFrame, table: str) -> list[pl.Expr]:
    """A raw table's columns (columns.RAW_TABLES[table]) in its order and types: dates parsed, counts
    as whole numbers, text as it is. A column the file leaves out (validation lets it leave out any
    that is not required, such as speaks_for or source_term in data written before them) is empty."""
    present = set(frame.collect_schema().names())
    typed = []
    for name, entry in columns.RAW_TABLES[table].items():
        if name not in present:
            typed.append(pl.lit(None, DTYPES[entry.type]).alias(name))
        elif entry.type == "date":
            typed.append(pl.col(name).str.to_date("%Y-%m-%d"))
        elif entry.type == "string":
            typed.append(pl.col(name))
        else:
            typed.append(pl.col(name).cast(DTYPES[entry.type]))
    return typed


def _typed_claims(frame: pl.LazyFrame, statements: pl.LazyFrame) -> pl.LazyFrame:
    claims = frame.select(
        *_typed_columns(frame, "claims.csv"),
        pl.lit("claims.csv").alias("source"),
        pl.col(LINE).alias("source_line"),
    )
    return claims.join(
        statements.select(
            "statement_id", "claimant_id", "speaker", "statement_date", "url", "outlet", "title", "speaks_for"
        ),
        on="statement_id",
        how="left",
    )


def _series_tables(raw: RawConflict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each series record becomes a statement (the day's report) and a claim."""
    statements, claims = [], []
    for entry in raw.meta.get("series") or []:
        frame = raw.series[str(entry["series_id"])].frame
        ids = series_claim_id(entry["series_id"], frame["date"])
        date = frame["date"].str.to_date("%Y-%m-%d")
        statements.append(
            pl.DataFrame(
                {
                    "statement_id": ids,
                    "statement_date": date,
                }
            ).with_columns(
                claimant_id=pl.lit(entry["claimant_id"]),
                speaker=pl.lit(entry.get("speaker")),
                url=pl.lit(entry["url"]),
                outlet=pl.lit(entry["outlet"]),
                title=pl.lit(entry.get("title")),
                language=pl.lit(None, pl.String),
                speaks_for=pl.lit(None, pl.String),
                notes=pl.lit(None, pl.String),
            )
        )
        claims.append(
            pl.DataFrame(
                {
                    "claim_id": ids,
                    "statement_id": ids,
                    "as_of_date": date,
                    "statement_date": date,
                    "value": frame["value"].cast(pl.Int64),
                    "qualifier": frame["qualifier"],
                    "source_line": frame[LINE],
                }
            ).with_columns(
                subject_side=pl.lit(entry["subject_side"]),
                population=pl.lit(entry["population"]),
                metric=pl.lit(entry["metric"]),
                value_low=pl.lit(None, pl.Int64),
                value_high=pl.lit(None, pl.Int64),
                period_type=pl.lit("cumulative"),
                period_start_date=pl.lit(None, pl.Date),
                method=pl.lit(entry["method"]),
                confidence=pl.lit(entry["confidence"]),
                derived_from=pl.lit(None, pl.String),
                quote=pl.lit(None, pl.String),
                source_term=pl.lit(_text(entry.get("source_term")), pl.String),
                speaks_for=pl.lit(None, pl.String),
                notes=pl.lit(None, pl.String),
                source=pl.lit(SERIES_SOURCE_PREFIX + entry["series_id"]),
                claimant_id=pl.lit(entry["claimant_id"]),
                speaker=pl.lit(entry.get("speaker")),
                url=pl.lit(entry["url"]),
                outlet=pl.lit(entry["outlet"]),
                title=pl.lit(entry.get("title")),
            )
        )
    if not claims:
        return pl.DataFrame(), pl.DataFrame()
    return pl.concat(statements, how="vertical_relaxed"), pl.concat(claims, how="vertical_relaxed")


def _drop_series_duplicates(curated: pl.LazyFrame, series: pl.DataFrame) -> pl.LazyFrame:
    """A series record that repeats a curated claim word for word is dropped: the curated claim
    carries its own verification notes. A series record that disagrees with one is kept, so the
    disagreement stays visible."""
    if series.is_empty():
        return curated
    key = ["claimant_id", "subject_side", "population", "metric", "period_type", "as_of_date", "qualifier", "value"]
    series = series.lazy().join(curated.select(key), on=key, how="anti", nulls_equal=True)
    return pl.concat([curated, series.select(curated.collect_schema().names())], how="vertical_relaxed")


def _text(value) -> str | None:
    return None if value is None else str(value)
