"""One-off import of ../shared/data/claims_ru_ua.csv into data/raw/russia-ukraine/.

Kept for provenance: it shows exactly how each source row became a statement and a claim, so a
reviewer can re-derive every figure. It refuses to overwrite existing files; after the import the
raw files are edited by hand (edit -> `claims validate` -> CHANGELOG), never by code.

Mapping decisions (all visible below, none changes a figure):
- claimant: the source's free-text claimant is mapped to an institution id; the text itself is
  kept verbatim as the statement's `speaker`.
- statement: one per (statement date, speaker, source URL) -- one source document.
- value: `value_low == value_high` and qualifier != range -> `value`; range -> `value_low/high`.
- flags in notes: `[period: ...]` -> period_type=period, `INCIDENT-LEVEL` -> period_type=incident,
  `MODELLED ESTIMATE` -> method=model; `[confidence: x]` -> confidence.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

CLAIMANT_PREFIXES = [
    ("Russian Ministry of Defence", "ru_mod"),
    ("Russian General Staff", "ru_mod"),
    ("Russian Defence Minister", "ru_mod"),
    ("General Staff of the Armed Forces of Ukraine", "ua_general_staff"),
    ("President Volodymyr Zelensky", "ua_president"),
    ("Mykhailo Podolyak", "ua_president"),
    ("Gen. Valerii Zaluzhnyi", "ua_commander_in_chief"),
    ("Col. Gen. Oleksandr Syrskyi", "ua_commander_in_chief"),
    ("Ukrainian military (AFU Strategic Communications", "ua_armed_forces"),
    ("NATO", "nato"),
    ("CIA Director", "us_government"),
    ("US Under Secretary of Defense", "us_government"),
    ("Gen. Mark Milley", "us_government"),
    ("Unnamed US officials", "us_government"),
    ("US intelligence community", "us_government"),
    ("European Commission", "eu_commission"),
    ("UK Ministry of Defence", "uk_defence_intelligence"),
    ("UK Defence Intelligence", "uk_defence_intelligence"),
    ("Mediazona & BBC Russian Service", "mediazona_bbc"),
    ("UN OHCHR", "un_ohchr"),
]

# Period starts stated in the flags of the source notes (calendar year or "1 Jan - ..." of a year).
PERIOD_RE = re.compile(r"\[period: ([^\]]*)\]")
CONFIDENCE_RE = re.compile(r"\[confidence: (high|medium|low)\]")
# Rows whose notes say the figure was computed from, or equals, the Ukrainian General Staff
# series on the same date (shared/data/README.md, "Not independent").
DERIVED_FROM_SERIES = {
    ("2025-03-20", "uk_defence_intelligence", "killed_and_wounded"),
    ("2025-07-11", "uk_defence_intelligence", "killed_and_wounded"),
    ("2025-08-05", "uk_defence_intelligence", "killed_and_wounded"),
    ("2022-03-12", "ua_president", "killed"),
}
SIDE_CODE = {"russia": "ru", "ukraine": "ua"}

STATEMENT_COLUMNS = [
    "statement_id",
    "claimant_id",
    "speaker",
    "statement_date",
    "url",
    "outlet",
    "title",
    "language",
    "notes",
]
CLAIM_COLUMNS = [
    "claim_id",
    "statement_id",
    "subject_side",
    "population",
    "metric",
    "qualifier",
    "value",
    "value_low",
    "value_high",
    "period_type",
    "period_start_date",
    "as_of_date",
    "method",
    "confidence",
    "derived_from",
    "quote",
    "notes",
]


def claimant_id(text: str) -> str:
    for prefix, cid in CLAIMANT_PREFIXES:
        if text.startswith(prefix):
            return cid
    raise SystemExit(f"no claimant id for {text!r}: add it to CLAIMANT_PREFIXES")


def period_start(notes: str, as_of: str) -> tuple[str, str]:
    match = PERIOD_RE.search(notes)
    if match:
        year = re.search(r"(20\d\d)", match.group(1))
        if not year:
            raise SystemExit(f"period flag without a year: {match.group(0)}")
        return "period", f"{year.group(1)}-01-01"
    if "INCIDENT-LEVEL" in notes:
        return "incident", as_of
    return "cumulative", ""


def method(cid: str, qualifier: str, notes: str) -> str:
    if "MODELLED ESTIMATE" in notes:
        return "model"
    if cid == "mediazona_bbc":
        return "named_list"
    if cid == "un_ohchr":
        return "verified_count"
    return "reported"


def unique_id(base: str, used: set[str]) -> str:
    """base, or base_2, base_3, ... when taken; the id is then taken."""
    found, n = base, 1
    while found in used:
        n += 1
        found = f"{base}_{n}"
    used.add(found)
    return found


def main(source: Path, out_dir: Path) -> None:
    rows = list(csv.DictReader(source.open(encoding="utf-8", newline="")))
    statements: dict[tuple[str, str, str], dict] = {}
    claims: list[dict] = []
    used_ids: set[str] = set()
    for row in rows:
        cid = claimant_id(row["claimant"])
        key = (row["statement_date"], row["claimant"], row["source_url"])
        if key not in statements:
            sid = unique_id(f"{cid}_{row['statement_date']}", used_ids)
            statements[key] = {
                "statement_id": sid,
                "claimant_id": cid,
                "speaker": row["claimant"],
                "statement_date": row["statement_date"],
                "url": row["source_url"],
                "outlet": row["source_outlet"],
                "title": row["source_title"],
                "language": "",
                "notes": "",
            }
        statement = statements[key]
        as_of = row["as_of_date"] or row["statement_date"]
        period_type, start = period_start(row["notes"], as_of)
        conf = CONFIDENCE_RE.search(row["notes"])
        if not conf:
            raise SystemExit(f"no confidence flag in {row}")
        is_range = row["qualifier"] == "range"
        if not is_range and row["value_low"] != row["value_high"]:
            raise SystemExit(f"low != high for a non-range qualifier: {row}")
        claim_id = unique_id(
            f"{statement['statement_id']}.{SIDE_CODE[row['subject_side']]}.{row['population']}.{row['metric']}",
            used_ids,
        )
        derived = ""
        if (row["statement_date"], cid, row["metric"]) in DERIVED_FROM_SERIES:
            derived = f"ua_general_staff_personnel.{as_of}"
        claims.append(
            {
                "claim_id": claim_id,
                "statement_id": statement["statement_id"],
                "subject_side": row["subject_side"],
                "population": row["population"],
                "metric": row["metric"],
                "qualifier": row["qualifier"],
                "value": "" if is_range else row["value_low"],
                "value_low": row["value_low"] if is_range else "",
                "value_high": row["value_high"] if is_range else "",
                "period_type": period_type,
                "period_start_date": start,
                "as_of_date": as_of,
                "method": method(cid, row["qualifier"], row["notes"]),
                "confidence": conf.group(1),
                "derived_from": derived,
                "quote": row["short_quote"],
                "notes": CONFIDENCE_RE.sub("", row["notes"]).strip(),
            }
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, columns, records in (
        ("statements.csv", STATEMENT_COLUMNS, statements.values()),
        ("claims.csv", CLAIM_COLUMNS, claims),
    ):
        path = out_dir / name
        if path.exists():
            raise SystemExit(f"{path} exists: raw data is edited by hand after the first import")
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
        print(f"wrote {path}: {len(list(records)) if not isinstance(records, list) else len(records)} rows")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
