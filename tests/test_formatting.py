import datetime as dt

import pytest

from analysis import formatting


@pytest.mark.parametrize(
    "qualifier, value, low, high, expected",
    [
        ("exact", 1351, 1351, 1351, "1,351"),
        ("about", 16100, 16050, 16150, "about 16,100"),
        ("at_least", 24470, 24470, None, "at least 24,470"),
        ("more_than", 14000, 14000, None, "more than 14,000"),
        ("up_to", 120000, None, 120000, "up to 120,000"),
        ("range", None, 7000, 15000, "7,000–15,000"),
        ("range", 47000, 40000, 55000, "47,000 (40,000–55,000)"),
    ],
)
def test_stated_value_says_what_the_source_said(qualifier, value, low, high, expected):
    assert formatting.stated_value(qualifier, value, low, high) == expected


def test_claim_text_names_the_metric_in_words():
    assert formatting.claim_text("about", 16100, None, None, "personnel_losses") == "about 16,100 personnel losses"
    assert (
        formatting.claim_text("about", 16100, None, None, "personnel_losses", "personnel")
        == "about 16,100 “personnel” (personnel losses)"
    )
    assert formatting.claim_text("exact", 1351, None, None, "killed", "Killed") == "1,351 “Killed”"


def test_a_range_with_an_open_end_keeps_its_hedge():
    assert formatting.stated_value("at_least", None, 7000, 8000) == "at least 7,000–8,000"
    assert formatting.stated_value("more_than", None, 7000, 8000) == "more than 7,000–8,000"
    assert formatting.stated_value("up_to", None, 7000, 8000) == "up to 7,000–8,000"
    assert formatting.stated_value("range", None, 7000, 8000) == "7,000–8,000"
    # an 'about' figure with its analysis interval is still quoted as the source said it
    assert formatting.stated_value("about", 16100, 16050, 16150) == "about 16,100"
    assert formatting.claim_text("exact", 1351, None, None, "killed") == "1,351 killed"


def test_interval_reads_like_a_sentence():
    assert formatting.interval(5.18, 11.10) == "5.2–11.1"
    assert formatting.interval(3.1049, 3.1201) == "3.1"
    assert formatting.interval(3.1, None, is_low_exclusive=True) == "more than 3.1"
    assert formatting.interval(None, 0.243, digits=2) == "at most 0.24"
    assert formatting.interval(None, None) == "unbounded"


def test_dates_and_day_counts():
    assert formatting.date(dt.date(2022, 3, 5)) == "5 March 2022"
    assert (
        formatting.days(0) == "the same day" and formatting.days(1) == "1 day" and formatting.days(1417) == "1,417 days"
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        (12000.0, "12,000"),
        (1351, "1,351"),
        (-3, "-3"),
        (1167.857142857, "1,167.9"),
        (2.524383, "2.52"),
        (0.748123, "0.748"),
        (0.000123456, "0.000123"),
        (-0.5, "-0.5"),
        (0.0, "0"),
    ],
)
def test_table_numbers_are_rounded_for_reading_only(value, expected):
    assert formatting.table_number(value) == expected


def test_ratios_read_to_two_significant_digits():
    assert [formatting.significant(x) for x in (12.57, 50.77, 0.7, 3.1049, 2.83)] == ["13", "51", "0.70", "3.1", "2.8"]
    assert formatting.interval(12.57, 50.77, significant_digits=2) == "13–51"


def test_people_read_as_whole_numbers_rounded_outward():
    assert formatting.reading_number(74642.9, "value") == "74,643"
    assert formatting.reading_number(5000.7, "compared_low") == "5,000"
    assert formatting.reading_number(22857.1, "compared_high") == "22,858"
    assert formatting.reading_number(12.5712, "ratio_low") == "13"
