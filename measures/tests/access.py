"""Access-matrix rows for measure data pages (see tests/access.py)."""

from tests.access import EDITORS, SEES_WORKSPACE, Page


def measure_pk(cast, organisation) -> dict:
    from measures.tests.factories import make_measure

    return {"pk": make_measure(organisation).pk}


EXPORTERS = {"lead", "member", "data_champion", "sponsor", "national", "coach", "expert"}

ORG_PAGES = {
    "measures:data_overview": Page(SEES_WORKSPACE),
    "measures:data_import": Page(SEES_WORKSPACE),
    "measures:import_template": Page(SEES_WORKSPACE),
    "measures:measure_chart": Page(SEES_WORKSPACE, kwargs=measure_pk),
    "measures:measure_csv": Page(EXPORTERS, kwargs=measure_pk),
    "measures:measure_grid": Page(SEES_WORKSPACE, kwargs=measure_pk),
    "measures:grid_cell": Page(
        EDITORS,
        kwargs=measure_pk,
        method="post",
        data=lambda c, o: {
            "period": "2025-01-01",
            "stratum": "all",
            "c|2025-01-01|all|numerator": "3",
            "c|2025-01-01|all|denominator": "10",
        },
    ),
    "measures:measure_settings": Page(EDITORS, kwargs=measure_pk),
    # The lead or the coach confirms new limits; without a shift to offer them, the answer is 422.
    "measures:measure_rebase": Page(
        {"lead", "coach", "national"},
        kwargs=measure_pk,
        method="post",
        data=lambda c, o: {"period": "2025-01-01", "reason": "Adopted the new booking process"},
    ),
}

# Token-authenticated: tested in test_api.py (a session alone gets 401).
TOKEN_PAGES = {"measures:api_measure_data"}
