"""Data tests: the project's real data/raw, checked through the same code the reports use."""

from __future__ import annotations

import csv
import datetime as dt
import json

import polars as pl
import pytest

from analysis.dataset import load_conflict
from analysis.importers import read_ivaniuk_personnel, read_techforpalestine_daily
from analysis.report.fingerprint import sha256_file
from analysis.validate import validate_data_dir
from tests.fixture_data import REAL_DATA, SHARED_DATA

CONFLICT = REAL_DATA / "russia-ukraine"
SERIES_ID = "ua_general_staff_personnel"
SERIES_CSV = CONFLICT / "series" / f"{SERIES_ID}.csv"


def read_rows(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def curated(claims: pl.DataFrame, claimant: str, as_of: str, subject: str, metric: str) -> dict:
    rows = claims.filter(
        pl.col("source") == "claims.csv",
        pl.col("claimant_id") == claimant,
        pl.col("as_of_date") == dt.date.fromisoformat(as_of),
        pl.col("subject_side") == subject,
        pl.col("population") == "military",
        pl.col("metric") == metric,
    )
    assert rows.height == 1, f"{claimant} {as_of} {subject} {metric}: {rows.height} claims"
    return rows.row(0, named=True)


def test_real_data_validates():
    summary, problems = validate_data_dir(REAL_DATA)
    assert problems == [], "\n".join(map(str, problems))
    assert [c.conflict_id for c in summary.conflicts] == ["gaza-war", "russia-ukraine"]


# --- sizes -----------------------------------------------------------------------------------


def test_at_least_100_statements_counting_the_daily_reports(ru_ua):
    assert ru_ua.statements.height >= 100


def test_90_statements():
    # 82 imported, minus 4 rows merged into the row for the same URL and date, minus the 20 daily
    # General Staff reports whose only claim repeated the series, plus 4 new source documents
    # (RT Russian, Ukrainska Pravda, MENAFN/Ukrinform, Novinite), plus the 25 statements of
    # 2022-2026 added from ../shared/data/claims_ru_ua_additions.csv, 2026-12-01, plus 3 more of
    # them (UALosses Nov 2024, UK DI Dec 2025, the missing-persons commissioner), 2026-12-06.
    assert len(read_rows(CONFLICT / "statements.csv")) == 90


def test_claims_csv_has_128_claims():
    # 102 imported, minus 20 General Staff claims repeating the series, plus 5 corrections and
    # disagreements, plus 37 claims of 2022-2026 from the additions (2026-12-01), plus 4 (2026-12-06).
    assert len(read_rows(CONFLICT / "claims.csv")) == 128


def test_one_statement_row_per_claimant_and_source_document():
    rows = read_rows(CONFLICT / "statements.csv")
    documents = [(r["url"], r["statement_date"], r["claimant_id"]) for r in rows]
    assert len(documents) == len(set(documents))


def test_every_statement_records_its_language():
    assert all(r["language"] for r in read_rows(CONFLICT / "statements.csv"))


def test_no_obscene_or_proxy_host_in_the_data():
    for name in ("statements.csv", "claims.csv", "conflict.yml"):
        text = (CONFLICT / name).read_text(encoding="utf-8").lower()
        assert "artek0chumak.org" not in text, name  # the proxy mirror once cited for Mediazona


def test_series_has_1626_daily_records_from_2022_02_25_to_2026_08_08():
    rows = read_rows(SERIES_CSV)
    assert len(rows) == 1626
    assert (rows[0]["date"], rows[-1]["date"]) == ("2022-02-25", "2026-08-08")
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


def test_series_reports_are_statements_and_claims(ru_ua):
    reports = ru_ua.statements.filter(pl.col("statement_id").str.starts_with(f"{SERIES_ID}."))
    assert reports.height == 1626
    assert (reports["statement_date"].min(), reports["statement_date"].max()) == (
        dt.date(2022, 2, 25),
        dt.date(2026, 8, 8),
    )
    series_claims = ru_ua.claims.filter(pl.col("source") == f"series:{SERIES_ID}")
    assert 0 < series_claims.height <= 1626  # records repeating a curated claim are dropped


# --- every claim is sourced and resolves -------------------------------------------------------


def test_every_claim_has_an_http_url(ru_ua):
    urls = ru_ua.claims["url"]
    assert urls.null_count() == 0
    assert urls.str.contains(r"^https?://\S+$").all()


def test_every_claims_statement_resolves_to_a_claimant_in_conflict_yml(ru_ua):
    claimants = set(ru_ua.claimants["claimant_id"])
    statements = set(ru_ua.statements["statement_id"])
    claims = ru_ua.claims
    assert set(claims["statement_id"]) <= statements
    assert claims["claimant_id"].null_count() == 0
    assert set(claims["claimant_id"]) <= claimants
    assert set(ru_ua.statements["claimant_id"]) <= claimants


def test_every_derived_from_names_a_claim(ru_ua):
    series_ids = {f"{SERIES_ID}.{r['date']}" for r in read_rows(SERIES_CSV)}
    known = set(ru_ua.claims["claim_id"]) | series_ids
    assert set(ru_ua.claims["derived_from"].drop_nulls()) <= known


# --- the seed facts (DESIGN.md §1) -----------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, metric, qualifier, value",
    [
        ("2022-03-02", "killed", "exact", 498),
        ("2022-03-02", "wounded", "exact", 1597),
        ("2022-03-25", "killed", "exact", 1351),
        ("2022-03-25", "wounded", "exact", 3825),
    ],
)
def test_moscow_seed_figures(ru_ua, as_of, metric, qualifier, value):
    row = curated(ru_ua.claims, "ru_mod", as_of, "russia", metric)
    assert (row["qualifier"], row["value"], row["period_type"], row["role"]) == (
        qualifier,
        value,
        "cumulative",
        "official",
    )


def series_claim(claims: pl.DataFrame, as_of: str) -> dict:
    rows = claims.filter(pl.col("claim_id") == f"{SERIES_ID}.{as_of}")
    assert rows.height == 1, f"{SERIES_ID}.{as_of}: {rows.height} claims"
    return rows.row(0, named=True)


def test_kyiv_personnel_losses_on_25_march_2022_is_about_16100(ru_ua):
    row = series_claim(ru_ua.claims, "2022-03-25")
    assert (row["qualifier"], row["value"], row["role"]) == ("about", 16100, "opposing")
    assert (row["value_low"], row["value_high"]) == (16050, 16150)


def test_like_for_like_ratio_of_the_seed_example(ru_ua):
    kyiv = series_claim(ru_ua.claims, "2022-03-25")["value"]
    killed = curated(ru_ua.claims, "ru_mod", "2022-03-25", "russia", "killed")["value"]
    wounded = curated(ru_ua.claims, "ru_mod", "2022-03-25", "russia", "wounded")["value"]
    assert round(kyiv / killed, 1) == 11.9  # the naive, wrong ratio
    assert round(kyiv / (killed + wounded), 1) == 3.1  # the closest like-for-like one


# --- periods and incidents are never cumulative ------------------------------------------------


def test_per_year_claims_are_period_claims(ru_ua):
    flagged = ru_ua.claims.filter(pl.col("notes").str.contains(r"\[period", literal=False))
    assert flagged.height >= 4
    assert set(flagged["period_type"]) == {"period"}
    assert flagged["period_start_date"].null_count() == 0
    assert (flagged["period_start_date"] <= flagged["as_of_date"]).all()


def test_makiivka_claims_are_incident_claims(ru_ua):
    makiivka = ru_ua.claims.filter(
        pl.col("notes").str.contains("INCIDENT-LEVEL") | pl.col("notes").str.contains("Makiivka")
    )
    assert sorted(makiivka["value"].to_list()) == [63, 89, 400]
    assert set(makiivka["period_type"]) == {"incident"}
    assert set(makiivka["period_start_date"]) == {dt.date(2023, 1, 1)}


def test_cumulative_claims_have_no_period_start(ru_ua):
    cumulative = ru_ua.claims.filter(pl.col("period_type") == "cumulative")
    assert cumulative["period_start_date"].null_count() == cumulative.height


# --- the series equals its source --------------------------------------------------------------


def test_series_equals_the_source_json():
    source = SHARED_DATA / "ua_general_staff_personnel.json"
    if not source.exists():
        pytest.skip(
            f"source JSON not available: {source.resolve()} (../shared is absent in this "
            "checkout); the series cannot be compared with its origin"
        )
    assert read_rows(SERIES_CSV) == read_ivaniuk_personnel(source)


GAZA_SERIES = REAL_DATA / "gaza-war" / "series"
GAZA_SOURCE = SHARED_DATA / "gaza_casualties_daily.json"


@pytest.mark.parametrize(
    "name, channel, figure, count",
    [
        ("gaza_moh_killed", "mohtel", "killed_cum", 999),
        ("gaza_moh_injured", "mohtel", "injured_cum", 999),
        ("gaza_gmo_killed", "gmotel", "killed_cum", 22),
        ("gaza_gmo_injured", "gmotel", "injured_cum", 21),
    ],
)
def test_gaza_series_equal_the_source_json(name, channel, figure, count):
    rows = read_rows(GAZA_SERIES / f"{name}.csv")
    assert len(rows) == count
    assert {row["qualifier"] for row in rows} == {"exact"}
    if not GAZA_SOURCE.exists():
        pytest.skip(f"source JSON not available: {GAZA_SOURCE.resolve()} (../shared is absent in this checkout)")
    assert sha256_file(GAZA_SOURCE) == "d17cab2c0f0b7e08c7cd77c8035847050a52ed2442e80f311530281d988b3759"
    assert rows == read_techforpalestine_daily(GAZA_SOURCE, channel=channel, figure=figure)


def test_gaza_series_carry_the_public_domain_dedication():
    notice = (GAZA_SERIES / "techforpalestine.LICENSE").read_bytes()
    assert notice.startswith(b"This is free and unencumbered software & data released into the public domain.")
    source = SHARED_DATA / "gaza_casualties_daily.LICENSE"
    if source.exists():
        assert notice == source.read_bytes()


# --- the corrections of 2026-12-01 (ru_ua_audit_2026-12.md) ----------------------------------


def test_every_curated_claim_has_a_quote():
    rows = read_rows(CONFLICT / "claims.csv")
    assert [r["claim_id"] for r in rows if not r["quote"].strip()] == []


def test_no_curated_claim_repeats_the_series(ru_ua):
    gs = ru_ua.claims.filter(pl.col("claimant_id") == "ua_general_staff")
    assert set(gs["source"]) == {f"series:{SERIES_ID}"}
    assert gs.group_by("as_of_date").len()["len"].max() == 1
    assert all(not r["statement_id"].startswith("ua_general_staff_") for r in read_rows(CONFLICT / "claims.csv"))


def test_rudskoys_25_march_2022_ukrainian_losses_are_not_among_killed(ru_ua):
    ua_killed = ru_ua.claims.filter(
        pl.col("claimant_id") == "ru_mod",
        pl.col("subject_side") == "ukraine",
        pl.col("as_of_date") == dt.date(2022, 3, 25),
        pl.col("metric") == "killed",
    )
    assert ua_killed.height == 0
    row = curated(ru_ua.claims, "ru_mod", "2022-03-25", "ukraine", "irrecoverable")
    assert (row["claim_id"], row["qualifier"], row["value"]) == (
        "ru_mod_2022-03-25_4.ua.military.irrecoverable",
        "more_than",
        14000,
    )
    assert "безвозвратные" in row["quote"]
    total = curated(ru_ua.claims, "ru_mod", "2022-03-25", "ukraine", "personnel_losses")
    assert (total["qualifier"], total["value"], total["statement_id"]) == ("about", 30000, row["statement_id"])
    wounded = curated(ru_ua.claims, "ru_mod", "2022-03-25", "ukraine", "wounded")
    assert (wounded["qualifier"], wounded["value"]) == ("about", 16000)


def test_syrskyi_2024_figure_in_his_own_words(ru_ua):
    row = curated(ru_ua.claims, "ua_commander_in_chief", "2024-12-28", "russia", "killed_and_wounded")
    assert (row["qualifier"], row["value"], row["period_type"], row["period_start_date"]) == (
        "more_than",
        421000,
        "period",
        dt.date(2024, 1, 1),
    )
    assert "421,000 killed and wounded" in row["quote"]
    rewrite = ru_ua.claims.filter(pl.col("claim_id") == "ua_commander_in_chief_2024-12-28.ru.military.personnel_losses")
    assert rewrite.row(0, named=True)["derived_from"] == row["claim_id"]


def test_zelensky_12_march_2022_own_deaths_are_not_derived_from_the_russian_loss_series(ru_ua):
    row = curated(ru_ua.claims, "ua_president", "2022-03-12", "ukraine", "killed")
    assert row["derived_from"] is None


def test_zelensky_55000_of_4_february_2026_is_exact(ru_ua):
    row = curated(ru_ua.claims, "ua_president", "2026-02-04", "ukraine", "killed")
    assert (row["qualifier"], row["value"]) == ("exact", 55000)
    assert row["url"] == "https://interfax.com.ua/news/general/1142169.html"


def test_ohchr_february_2024_counts_run_to_mid_february(ru_ua):
    rows = ru_ua.claims.filter(pl.col("statement_id") == "un_ohchr_2024-02-22")
    assert set(rows["as_of_date"]) == {dt.date(2024, 2, 15)}
    assert sorted(rows["value"].to_list()) == [10582, 19875]


def test_eu_commission_more_than_is_recorded_as_a_disagreement(ru_ua):
    rows = ru_ua.claims.filter(pl.col("claimant_id") == "eu_commission").sort("claim_id")
    assert list(zip(rows["qualifier"], rows["value"], strict=True)) == [("exact", 100000), ("more_than", 100000)]


def test_the_economists_open_ended_range_is_carried_as_stated(ru_ua):
    row = curated(ru_ua.claims, "economist", "2024-11-26", "ukraine", "killed")
    assert (row["qualifier"], row["stated_low"], row["stated_high"]) == ("at_least", 60000, 100000)
    assert (row["value_low"], row["value_high"]) == (60000.0, None)  # the top stays open
    assert row["source_term"] == "have died"


def test_every_source_term_is_the_quotes_own_words(ru_ua):
    terms = ru_ua.claims.filter(pl.col("source") == "claims.csv", pl.col("source_term").is_not_null())
    assert terms.height >= 120
    for row in terms.iter_rows(named=True):
        assert row["source_term"].casefold() in row["quote"].casefold(), row["claim_id"]


def test_the_general_staff_series_says_personnel(ru_ua):
    series = ru_ua.claims.filter(pl.col("source") == f"series:{SERIES_ID}")
    assert series["source_term"].unique().to_list() == ["personnel"]


def test_the_missing_persons_register_is_a_snapshot_of_everyone(ru_ua):
    rows = ru_ua.claims.filter(pl.col("claimant_id") == "ua_missing_persons_commissioner")
    assert rows.select("population", "metric", "period_type", "qualifier", "value").rows() == [
        ("all", "missing", "snapshot", "more_than", 70000)
    ]


def test_uk_defence_intelligence_2025_and_2024_are_period_claims(ru_ua):
    rows = ru_ua.claims.filter(pl.col("statement_id") == "uk_defence_intelligence_2025-12-23").sort("as_of_date")
    assert rows.select("period_start_date", "as_of_date", "qualifier", "value").rows() == [
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31), "more_than", 400000),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 23), "more_than", 400000),
    ]
    assert set(rows["period_type"]) == {"period"}


# --- the Gaza war (data/raw/gaza-war, from ../shared/data/claims_il_gaza.csv, 2026-12-06) --------

GAZA = REAL_DATA / "gaza-war"


@pytest.fixture(scope="module")
def gaza():
    return load_conflict("gaza-war")


def test_gaza_sizes():
    # 90 source rows: 21 repeat the ministry's daily series (the README lists them), 3 are left out
    # (a projection, an equipment count, a soldier toll of unstated scope); 66 claims in 60 documents.
    assert len(read_rows(GAZA / "statements.csv")) == 60
    assert len(read_rows(GAZA / "claims.csv")) == 66


def test_gaza_statements_record_their_language():
    assert all(r["language"] for r in read_rows(GAZA / "statements.csv"))


def test_gaza_curated_ministry_claims_never_repeat_its_daily_series():
    source = SHARED_DATA / "gaza_casualties_daily.json"
    if not source.exists():
        pytest.skip(f"source JSON not available: {source.resolve()}")
    daily = {
        d["report_date"]: d for d in json.loads(source.read_text(encoding="utf-8")) if d["report_source"] == "mohtel"
    }
    statements = {r["statement_id"]: r for r in read_rows(GAZA / "statements.csv")}
    field = {"killed": "killed_cum", "wounded": "injured_cum"}
    checked = 0
    for claim in read_rows(GAZA / "claims.csv"):
        if statements[claim["statement_id"]]["claimant_id"] != "gaza_moh":
            continue
        day = dt.date.fromisoformat(claim["as_of_date"])
        for d in (day, day - dt.timedelta(days=1)):
            assert daily.get(d.isoformat(), {}).get(field[claim["metric"]]) != int(claim["value"]), claim["claim_id"]
        checked += 1
    assert checked == 4


def test_gaza_7_october_tallies_are_incident_claims(gaza):
    oct7 = gaza.claims.filter(
        pl.col("subject_side") == "israel", pl.col("metric") == "killed", pl.col("population") == "all"
    )
    assert sorted(oct7["value"].to_list()) == [1139, 1140, 1189, 1200, 1205, 1221, 1400]
    assert set(oct7["period_type"]) == {"incident"}
    assert set(oct7["period_start_date"]) == {dt.date(2023, 10, 7)}


def test_gaza_left_out_rows_are_not_claims(gaza):
    values = set(gaza.claims["value"].drop_nulls().to_list())
    assert 186000 not in values  # the Lancet letter's projection of future indirect deaths
    assert 180 not in values  # the Qassam Brigades' count of military vehicles
    assert 195 not in values  # an IDF soldier toll whose page does not give its scope


def test_gaza_truces(gaza):
    assert gaza.truces.select("start_date", "end_date").rows() == [
        (dt.date(2023, 11, 24), dt.date(2023, 11, 30)),
        (dt.date(2025, 1, 19), dt.date(2025, 3, 17)),
        (dt.date(2025, 10, 10), None),
    ]
