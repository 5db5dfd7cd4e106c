"""The cell parsers of the CSV imports: every alias of DESIGN.md §6, trimmed and
case-insensitive, empty meaning unknown, and each refusal with its reason code."""

import datetime

import pytest

from learners.imports import values
from learners.imports.values import Invalid
from outcomes.situations import Situation


def refused(parser, raw, **kwargs) -> str:
    with pytest.raises(Invalid) as caught:
        parser(raw, **kwargs)
    return caught.value.code


# --- booleans ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("oui", True),
        ("non", False),
        ("yes", True),
        ("no", False),
        ("true", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("o", True),
        ("n", False),
        ("vrai", True),
        ("faux", False),
        (" OUI ", True),
        ("Non", False),
        ("TRUE", True),
        ("O", True),
        ("N", False),
        ("\u00a0yes\u00a0", True),
    ],
)
def test_boolean_aliases_trimmed_and_case_insensitive(raw, expected):
    assert values.boolean(raw) is expected


def test_empty_boolean_is_unknown():
    assert values.boolean("") is None
    assert values.boolean("   ") is None


def test_empty_boolean_is_refused_when_required():
    assert refused(values.boolean, " ", required=True) == "required"


@pytest.mark.parametrize("raw", ["peut-être", "2", "ouais", "x"])
def test_other_boolean_words_are_refused(raw):
    assert refused(values.boolean, raw) == "boolean"


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2018-01-09", datetime.date(2018, 1, 9)),
        ("09/01/2018", datetime.date(2018, 1, 9)),
        ("9/1/2018", datetime.date(2018, 1, 9)),
        (" 31/12/2017 ", datetime.date(2017, 12, 31)),
        ("29/02/2016", datetime.date(2016, 2, 29)),
        ("2016-02-29", datetime.date(2016, 2, 29)),
    ],
)
def test_dates_iso_and_french(raw, expected):
    assert values.date(raw) == expected


@pytest.mark.parametrize(
    "raw", ["31/02/2018", "2018-02-30", "29/02/2017", "2018-13-01", "00/01/2018", "01/01/0018"]
)
def test_impossible_dates_are_refused(raw):
    assert refused(values.date, raw) == "date_impossible"


@pytest.mark.parametrize(
    "raw", ["2018/01/09", "09-01-2018", "9 janvier 2018", "20180109", "18-01-09", "09/01/18"]
)
def test_other_date_formats_are_refused(raw):
    assert refused(values.date, raw) == "date_format"


def test_empty_date_is_unknown_unless_required():
    assert values.date("") is None
    assert refused(values.date, "  ", required=True) == "required"


# --- sex, situations, exit reasons ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("F", "F"),
        ("M", "M"),
        ("X", "X"),
        ("f", "F"),
        ("m", "M"),
        ("x", "X"),
        ("femme", "F"),
        ("Femme", "F"),
        ("homme", "M"),
        ("HOMME", "M"),
        ("H", "M"),
        ("h", "M"),
        (" F ", "F"),
        ("", ""),
    ],
)
def test_sex_aliases(raw, expected):
    assert values.sex(raw) == expected


@pytest.mark.parametrize("raw", ["Q", "féminin", "2"])
def test_unknown_sex_is_refused(raw):
    assert refused(values.sex, raw) == "sex"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("employed", "employed"),
        ("job_seeker", "job_seeker"),
        ("inactive", "inactive"),
        ("in_education", "in_education"),
        ("emploi", "employed"),
        ("demandeur_emploi", "job_seeker"),
        ("inactif", "inactive"),
        ("etudes", "in_education"),
        ("études", "in_education"),
        ("ÉTUDES", "in_education"),
        (" Demandeur_Emploi ", "job_seeker"),
        ("JOB_SEEKER", "job_seeker"),
        ("", ""),
    ],
)
def test_situation_at_entry_aliases(raw, expected):
    assert values.situation_at_entry(raw) == expected


def test_unknown_situation_at_entry_is_refused():
    assert refused(values.situation_at_entry, "retraité") == "situation_at_entry"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("completed", "completed"),
        ("dropout", "dropout"),
        ("terminee", "completed"),
        ("terminée", "completed"),
        ("TERMINEE", "completed"),
        ("abandon", "dropout"),
        (" Abandon ", "dropout"),
        ("", ""),
    ],
)
def test_exit_reason_aliases(raw, expected):
    assert values.exit_reason(raw) == expected


def test_unknown_exit_reason_is_refused():
    assert refused(values.exit_reason, "exclu") == "exit_reason"


@pytest.mark.parametrize("situation", list(Situation))
def test_every_situation_code_of_the_design_is_read(situation):
    assert values.situation(f" {situation.value.upper()} ") == situation.value


def test_empty_situation_means_nothing_declared_not_unknown():
    assert values.situation("") is None
    assert values.situation("unknown") == "unknown"


def test_unknown_situation_code_is_refused_with_the_list_of_codes():
    with pytest.raises(Invalid) as caught:
        values.situation("chomage")
    assert caught.value.code == "situation"
    assert "cdd_long" in caught.value.params["codes"]


# --- numbers, references, codes -------------------------------------------------------------


def test_birth_year_within_1900_and_this_year():
    today = datetime.date(2018, 6, 29)
    assert values.birth_year("1995", today=today) == 1995
    assert values.birth_year(" 2018 ", today=today) == 2018
    assert values.birth_year("", today=today) is None
    for raw in ("1899", "2019", "95", "1995.0", "mille"):
        assert refused(values.birth_year, raw, today=today) == "birth_year"


def test_positive_integer():
    assert values.integer("700") == 700
    assert values.integer("") is None
    for raw in ("0", "-3", "1.5", "7OO"):
        assert refused(values.integer, raw) == "integer"


def test_duration_follows_the_label_rule_of_3_to_24_months():
    assert values.duration_months("3") == 3
    assert values.duration_months("24") == 24
    assert refused(values.duration_months, "2") == "duration"
    assert refused(values.duration_months, "25") == "duration"
    assert refused(values.duration_months, "six") == "duration"
    assert refused(values.duration_months, "") == "required"


def test_text_is_trimmed_and_bounded():
    assert values.text("  Créteil  ", max_length=10) == "Créteil"
    assert refused(values.text, "x" * 11, max_length=10) == "too_long"
    assert refused(values.text, " ", max_length=10, required=True) == "required"


def test_learner_ref_refuses_an_email_address():
    assert values.learner_ref("A-2018-001", max_length=64) == "A-2018-001"
    assert refused(values.learner_ref, "jean.dupont@exemple.fr", max_length=64) == (
        "learner_ref_contact"
    )


def test_siret_spaces_are_ignored_and_the_key_is_checked():
    assert values.siret("732 829 320 00074") == "73282932000074"
    assert refused(values.siret, "73282932000075") == "siret"
    assert refused(values.siret, "7328293200007") == "siret"
    assert refused(values.siret, "") == "required"


def test_department_and_region_codes():
    assert values.department("2a") == "2A"
    assert values.department("1") == "01"  # a spreadsheet dropped the leading zero
    assert values.department("974") == "974"
    assert refused(values.department, "99") == "department"
    assert values.region("11") == "11"
    assert values.region("6") == "06"
    assert refused(values.region, "12") == "region"


def test_commune_codes():
    assert values.commune("94028") == "94028"
    assert values.commune("1053") == "01053"
    assert values.commune("2a004") == "2A004"
    assert values.commune("") == ""
    assert refused(values.commune, "940") == "commune"
    assert values.commune_in_department("94028", "94")
    assert not values.commune_in_department("75056", "94")


# --- rules between the values of one enrollment (the import's and the forms') ---------------

ENTRY = datetime.date(2025, 1, 6)


@pytest.mark.parametrize(
    ("exit_date", "exit_given", "exit_reason", "milestones", "expected"),
    [
        (datetime.date(2025, 6, 27), True, "completed", ["exit", "m3"], []),
        (None, False, "", [], []),
        (datetime.date(2025, 1, 5), True, "completed", [], [("exit_date", "exit_before_entry")]),
        (datetime.date(2025, 6, 27), True, "", [], [("exit_reason", "exit_reason_required")]),
        (None, False, "dropout", [], [("exit_reason", "exit_reason_without_exit")]),
        (
            None,
            False,
            "",
            ["exit", "m6"],
            [("exit", "situation_without_exit"), ("m6", "situation_without_exit")],
        ),
        # An unreadable exit date (None, yet given) or reason (None) is not judged again.
        (None, True, "", ["m3"], []),
        (datetime.date(2025, 6, 27), True, None, [], []),
    ],
)
def test_enrollment_problems(exit_date, exit_given, exit_reason, milestones, expected):
    problems = values.enrollment_problems(
        entry_date=ENTRY,
        exit_date=exit_date,
        exit_given=exit_given,
        exit_reason=exit_reason,
        milestones=milestones,
    )

    assert problems == expected
