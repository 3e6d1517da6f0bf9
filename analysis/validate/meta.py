"""The rules of conflict.yml: small and nested, so checked in plain Python, with line numbers from the
YAML parser. The keys its claimants and truces must have come from the column dictionary
(analysis.columns.RAW_TABLES)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

from analysis import vocabulary as vocab
from analysis.columns import RAW_TABLES
from analysis.errors import Problem
from analysis.load import CONFLICT_FILE, RawConflict
from analysis.validate.rules import DATE_PATTERN, ID_PATTERN

COLOUR_PATTERN = re.compile(r"^#[0-9A-Fa-f]{6}$")


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
    if meta.get("start_date") is not None and parse_date(meta["start_date"]) is None:
        problem(("start_date",), meta["start_date"], "must be a calendar date written YYYY-MM-DD")
    problems_before = len(problems)
    if meta.get("end_date") is not None and parse_date(meta["end_date"]) is None:
        problem(("end_date",), meta["end_date"], "must be a calendar date written YYYY-MM-DD (or left out)")
    if (
        len(problems) == problems_before
        and meta.get("end_date") is not None
        and parse_date(meta.get("start_date"))
        and parse_date(meta["end_date"]) < parse_date(meta["start_date"])
    ):
        problem(("end_date",), meta["end_date"], "must not be before start_date")
    within = meta.get("pair_within_days")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int) or within < 0):
        problem(("pair_within_days",), within, "must be a whole number of days >= 0 (or left out: 7)")
    share = meta.get("about_max_share")
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1):
        problem(("about_max_share",), share, "must be a number with 0 < share <= 1 (or left out: 0.1)")

    side_ids = _check_list(meta, "sides", "side_id", ("label", "colour"), problem)
    for i, side in enumerate(dicts(meta.get("sides"))):
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
    claimant_ids = _check_list(meta, "claimants", "claimant_id", _required_keys("claimants"), problem)
    for i, claimant in enumerate(dicts(meta.get("claimants"))):
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
    for i, entry in enumerate(dicts(meta.get("series"))):
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
    _check_list(meta, "truces", "truce_id", _required_keys("truces"), problem)
    start = parse_date(meta.get("start_date"))
    spans: list[tuple[dt.date, dt.date | None, int]] = []
    for i, truce in enumerate(dicts(meta.get("truces"))):
        begin = truce.get("start_date")
        if begin is not None and parse_date(begin) is None:
            problem(("truces", i, "start_date"), begin, "must be a calendar date written YYYY-MM-DD")
        elif begin is not None and start and parse_date(begin) < start:
            problem(("truces", i, "start_date"), begin, "must not be before the conflict's start_date")
        end = truce.get("end_date")
        if end is not None and parse_date(end) is None:
            problem(
                ("truces", i, "end_date"),
                end,
                "must be a calendar date written YYYY-MM-DD (or left out while it holds)",
            )
        elif end is not None and parse_date(begin) and parse_date(end) < parse_date(begin):
            problem(("truces", i, "end_date"), end, "must not be before the truce's start_date")
        if truce.get("url") is not None and not vocab.is_url(str(truce["url"])):
            problem(("truces", i, "url"), truce["url"], vocab.URL_RULE)
        if parse_date(begin) and (end is None or parse_date(end)):
            spans.append((parse_date(begin), parse_date(end) if end is not None else None, i))
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
            problem((key, i, id_key), item_id, vocab.ID_RULE)
        if item_id in ids:
            problem((key, i, id_key), item_id, "must be unique (an earlier entry has it)")
        ids.append(str(item_id))
    return ids


def _required_keys(table: str) -> tuple[str, ...]:
    """The keys every entry of a conflict.yml list must have besides its id (its first column)."""
    _, *others = RAW_TABLES[table].items()
    return tuple(name for name, entry in others if entry.required)


def text_ids(items, id_key: str) -> list[str]:
    """The ids the CSV rules check against: only those written as text (check_meta reports the
    rest), so a number or a missing id in conflict.yml is one problem, not a crash."""
    return [d[id_key] for d in dicts(items) if isinstance(d.get(id_key), str)]


def dicts(items) -> list[dict]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def parse_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if re.match(DATE_PATTERN, str(value)) else None
    except ValueError:
        return None
