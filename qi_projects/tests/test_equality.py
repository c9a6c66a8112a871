import math

import pytest

from qi_projects import equality


def test_representation_ratio_matches_a_hand_worked_case():
    # Caseload: 60 of 400 people are in the group (p1 = 0.15); population: 5,000 of 100,000 (p2 = 0.05).
    # RR = 0.15 / 0.05 = 3. SE(ln RR) = sqrt(0.85/60 + 0.95/5000) = sqrt(0.0141667 + 0.00019) = 0.119819.
    # 95% CI = 3 * exp(-/+ 1.96 * 0.119819) = 3 * (0.79069, 1.26472) = (2.372, 3.794).
    ratio, lower, upper = equality.representation_ratio(60, 400, 5000, 100_000)
    assert ratio == pytest.approx(3.0)
    assert lower == pytest.approx(2.372, abs=0.001)
    assert upper == pytest.approx(3.794, abs=0.001)


def test_under_representation_is_flagged_only_when_the_interval_is_below_one():
    rows = equality.representation([("A", 8000, 300), ("M", 1000, 20), ("N", 1000, 30), ("H", 100, 5)])
    by = {r.category: r for r in rows}
    assert by["M"].ratio == pytest.approx((20 / 355) / (1000 / 10100))
    assert by["M"].standing == "under"
    assert by["A"].standing == "over"
    # a small group whose interval spans 1 does not stand out
    assert by["H"].lower < 1 < by["H"].upper
    assert by["H"].standing == ""


def test_zero_counts_give_no_interval_rather_than_an_error():
    assert equality.representation_ratio(0, 100, 50, 1000) == (0.0, None, None)
    assert equality.representation_ratio(5, 100, 0, 1000) == (None, None, None)
    assert equality.representation_ratio(5, 0, 10, 1000) == (None, None, None)


def test_ethnicity_codes_follow_the_nhs_data_dictionary_with_five_upper_groups():
    ethnicity = equality.DIMENSIONS["ethnicity"]
    codes = [c for c, _ in ethnicity.categories]
    assert codes == list("ABCDEFGHJKLMNPRS") + ["Z", "99"]
    assert equality.ethnic_upper_group("M") == "Black or Black British"
    assert equality.ethnic_upper_group("K") == "Asian or Asian British"
    assert equality.stratum_label("ethnicity:N") == "Black or Black British: African"
    assert {g for g in ethnicity.groups.values()} >= {
        "White",
        "Mixed",
        "Asian or Asian British",
        "Black or Black British",
        "Other ethnic groups",
    }


def test_deprivation_codes():
    assert [c for c, _ in equality.DIMENSIONS["imd_decile"].categories][:10] == [f"{n:02d}" for n in range(1, 11)]
    assert equality.DIMENSIONS["imd_decile"].category_label("01") == "01 Most deprived"
    assert [c for c, _ in equality.DIMENSIONS["imd_quintile"].categories] == ["1", "2", "3", "4", "5"]
    assert [c for c, _ in equality.DIMENSIONS["core20"].categories] == ["yes", "no"]


def test_parse_stratum_refuses_unknown_groups():
    assert equality.parse_stratum("imd_quintile:1") == ("imd_quintile", "1")
    for bad in ("ethnicity:Q", "planet:mars", "ethnicity"):
        with pytest.raises(ValueError):
            equality.parse_stratum(bad)


def test_confidence_interval_uses_z_for_95_percent():
    assert math.isclose(equality.Z_95, 1.96, abs_tol=0.0001)
