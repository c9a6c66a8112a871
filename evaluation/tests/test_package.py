"""The evaluator package parses back, matches its dictionary, and gives nothing away."""

import csv
import io
import zipfile

import pytest
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from evaluation import package
from evaluation import sustainability_model as model
from evaluation.models.feedback import PARTS
from evaluation.pseudonyms import enrolled_labels
from organisations.exports import FORMULA_STARTS

pytestmark = pytest.mark.django_db


def built(collaborative, tmp_path, **kwargs):
    path = tmp_path / "package.zip"
    package.build(collaborative, path, **kwargs)
    return path


def tables_of(path) -> dict[str, list[list[str]]]:
    return package.read_back(path)


def dictionary(files):
    rows = files[package.DICTIONARY]
    assert rows[0] == ["file", "column", "description", "kind"]
    return rows[1:]


def test_the_package_holds_every_table_as_csv_and_sheet_with_a_dictionary_and_readme(cast, package_data, tmp_path):
    path = built(cast.collaborative, tmp_path, version=3)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        readme = archive.read(package.README).decode()
        book = load_workbook(io.BytesIO(archive.read(package.WORKBOOK)), read_only=True)
    expected = {t.file for t in package.TABLES.values()} | {package.DICTIONARY, package.WORKBOOK, package.README}
    assert names == expected
    assert {"organisations", "series", "signals", "sustained", "pdsa_counts", "coproduction"} <= set(package.TABLES)
    files = tables_of(path)
    # Every sheet holds the same rows as its CSV (numbers as numbers, dates as dates).
    for table in package.TABLES.values():
        sheet = [["" if v is None else v for v in row] for row in book[table.name].iter_rows(values_only=True)]
        rows = files[table.file]
        assert len(sheet) == len(rows) >= 1, table.name
        assert [str(v) for v in sheet[0]] == rows[0] == table.header
        for mine, theirs in zip(sheet[1:], rows[1:], strict=True):
            mine = mine + [""] * (len(theirs) - len(mine))  # a read-only sheet leaves trailing empty cells off
            assert [_same(v, t) for v, t in zip(mine, theirs, strict=True)] == [True] * len(theirs), (mine, theirs)
    assert "Test wave (test-wave)" in readme and "Version: 3" in readme
    assert "pseudonyms" in readme and "under 5" in readme
    for table in package.TABLES.values():
        assert table.file in readme


def _same(value, text: str) -> bool:
    """A sheet's cell holds what the CSV's does: a number as a number, a date as a date."""
    from datetime import date, datetime

    if isinstance(value, datetime):
        return value.date().isoformat() == text
    if isinstance(value, date):
        return value.isoformat() == text
    if isinstance(value, (int, float)):
        return float(text) == float(value)
    return str(value) == text


def test_the_dictionary_describes_every_column_of_every_file_and_nothing_else(cast, package_data, tmp_path):
    files = tables_of(built(cast.collaborative, tmp_path))
    described = [(file, column) for file, column, _, _ in dictionary(files)]
    assert len(described) == len(set(described)), "a column described twice"
    actual = [(name, column) for name, rows in files.items() for column in rows[0]]
    assert sorted(described) == sorted(actual)
    for _, _, description, kind in dictionary(files):
        assert kind in package.KINDS and description.strip()


def _columns_of_kind(files, kind):
    for file, column, _, k in dictionary(files):
        if k == kind:
            rows = files[file]
            index = rows[0].index(column)
            for row in rows[1:]:
                yield file, column, row[index]


def test_no_count_is_unsuppressed(cast, package_data, tmp_path):
    files = tables_of(built(cast.collaborative, tmp_path))
    values = list(_columns_of_kind(files, "count"))
    assert {file for file, _, _ in values} >= {
        "series.csv",
        "pdsa_counts.csv",
        "coproduction.csv",
        "learning_set_attendance.csv",
        "learning_set_feedback.csv",
        "approach_feedback.csv",
    }
    for file, column, value in values:
        assert value in ("", "*") or (int(value) % 5 == 0 and int(value) >= 5), (file, column, value)
    # The small counts the data holds were there to be suppressed, and were.
    assert any(v == "*" for f, c, v in values if f == "series.csv" and c == "numerator")
    assert any(v == "*" for f, c, v in values if f == "series.csv" and c == "value_count")
    # 6 coproduction entries are published as 5; 7 registered as 5, 6 attended as 5, 1 planned cycle as *.
    coproduction = {(r[1]): r[2] for r in files["coproduction.csv"][1:] if r[0] == _label(cast, cast.org_a)}
    assert coproduction["change_theory"] == "5" and coproduction["testing"] == "*"
    attendance = [r for r in files["learning_set_attendance.csv"][1:] if r[4] == _label(cast, cast.org_a)]
    assert [r[5:] for r in attendance] == [["5", "5"]]
    pdsa = {(r[1], r[2]): r[3] for r in files["pdsa_counts.csv"][1:] if r[0] == _label(cast, cast.org_a)}
    assert pdsa[("planned", "")] == "*" and pdsa[("completed", "adopt")] == "*"


def test_rates_come_from_the_rounded_counts_and_are_suppressed_with_them(cast, package_data, tmp_path):
    files = tables_of(built(cast.collaborative, tmp_path))
    rows = files["series.csv"]
    header = rows[0]
    col = {name: header.index(name) for name in header}
    for row in rows[1:]:
        n, d, r = row[col["numerator"]], row[col["denominator"]], row[col["rate"]]
        if n == "":  # a value measure
            assert r == ""
        elif "*" in (n, d):
            assert r == "*"
        else:
            assert float(r) == pytest.approx(round(int(n) / int(d) * 100, 4))
    # Organisation B's 7 of 8 every month is published as 5 of 10, 50%: not 87.5%.
    b = [row for row in rows[1:] if row[col["organisation"]] == _label(cast, cast.org_b)]
    assert b and {(row[col["numerator"]], row[col["denominator"]], row[col["rate"]]) for row in b} == {
        ("5", "10", "50.0")
    }
    feedback = files["learning_set_feedback.csv"]
    assert feedback[1][feedback[0].index("rated_useful_rate")] == "100.0"  # 6 of 6 -> 5 of 5


def _label(cast, organisation):
    return enrolled_labels(cast.collaborative)[organisation.pk]


def test_organisations_appear_under_pseudonyms_when_names_are_off(cast, package_data, tmp_path):
    with scopes_disabled():
        cast.org_a.region = "london"
        cast.org_a.save()
    path = built(cast.collaborative, tmp_path)
    with zipfile.ZipFile(path) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    with zipfile.ZipFile(path) as archive:
        book = load_workbook(io.BytesIO(archive.read(package.WORKBOOK)), read_only=True)
        cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row]
    for name in ("Alpha Trust", "Beta Trust", "alpha", "beta"):
        assert name.encode() not in everything
        assert not [c for c in cells if name in c]
    files = tables_of(path)
    organisations = {row[0]: row for row in files["organisations.csv"][1:]}
    assert set(organisations) == {_label(cast, cast.org_a), _label(cast, cast.org_b)}
    assert all(label.startswith("Organisation ") for label in organisations)
    assert organisations[_label(cast, cast.org_a)][2] == "London"


def test_names_appear_when_the_national_team_allows_them(cast, package_data, tmp_path):
    cast.collaborative.evaluation_names_allowed = True
    cast.collaborative.save()
    files = tables_of(built(cast.collaborative, tmp_path))
    assert {row[0] for row in files["organisations.csv"][1:]} == {"Alpha Trust", "Beta Trust"}
    assert "Alpha Trust" in {row[1] for row in files["series.csv"][1:]}


def test_signals_and_sustained_results_are_in_the_package(cast, adopted, tmp_path):
    files = tables_of(built(cast.collaborative, tmp_path))
    signals = files["signals.csv"]
    col = {name: i for i, name in enumerate(signals[0])}
    measure = adopted["proportion"]
    strata = {row[col["stratum"]] for row in signals[1:] if row[col["measure_id"]] == str(measure.pk)}
    assert strata == {"all", "ethnicity:M", "ethnicity:A"}
    row = next(r for r in signals[1:] if r[col["measure_id"]] == str(measure.pk) and r[col["stratum"]] == "all")
    assert row[col["chart"]] == "p" and row[col["last_period"]] == "2024-12-01"
    assert row[col["variation"]].startswith(("common_cause", "special_cause"))
    sustained = files["sustained.csv"]
    col = {name: i for i, name in enumerate(sustained[0])}
    row = next(r for r in sustained[1:] if r[col["measure_id"]] == str(measure.pk))
    assert row[col["change_adopted_on"]] == "2023-12-31" and row[col["change_period"]] == "2024-01-01"
    # 40 + k of 97, rising every month: a shift up after the change, held to the end: but only 12 points after.
    assert row[col["status"]] in ("sustained", "too_few_points", "not_sustained", "no_shift")
    assert row[col["reason"]]
    assert row[col["gap_focus"]]  # the focus population names ethnicity:M against the reference group A


def test_change_theories_carry_their_programme_lineage(cast, package_data, tmp_path):
    files = tables_of(built(cast.collaborative, tmp_path))
    programme = {row[0]: row for row in files["programme_change_theory.csv"][1:]}
    local = files["change_theories.csv"]
    col = {name: i for i, name in enumerate(local[0])}
    ideas = [r for r in local[1:] if r[col["kind"]] == "Change idea"]
    assert ideas and all(r[col["programme_element_id"]] in programme for r in ideas)
    assert {r[col["lineage"]] for r in ideas} == {"programme"}
    assert "Evening clinics" in {r[col["text"]] for r in ideas}


def test_what_may_hold_figures_or_people_stays_out(cast, package_data, tmp_path):
    path = built(cast.collaborative, tmp_path)
    with zipfile.ZipFile(path) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist() if name.endswith(".csv"))
    assert b"3 of 12 people detained" not in everything  # a focus population's evidence
    assert b"attendee" not in everything and b"@a.example" not in everything
    # Approach feedback comments and sustainability notes may name people: neither is in the package.
    assert b"Quentin" not in everything


def test_every_text_cell_is_neutralised(cast, package_data, tmp_path):
    from measures.models import Measure
    from qi_projects.models import FocusPopulation

    hostile = '=HYPERLINK("http://x","y")'
    with scopes_disabled():
        Measure.objects.filter(pk=package_data["proportion"].pk).update(name=hostile, operational_definition="+1+1")
        FocusPopulation.objects.update(name="@SUM(A1)")
        package_data["idea"].__class__.objects.filter(pk=package_data["idea"].pk).update(text="-2+3")
    package_data["set"].__class__.objects.filter(pk=package_data["set"].pk).update(title="\tcalc")
    path = built(cast.collaborative, tmp_path)
    files = tables_of(path)
    cells = [cell for rows in files.values() for row in rows for cell in row]
    for needle in (hostile, "+1+1", "@SUM(A1)", "-2+3", "\tcalc"):
        assert "'" + needle in cells, needle
    for cell in cells:
        if cell.startswith(FORMULA_STARTS):
            float(cell)  # only a (negative) number may start like a formula
    with zipfile.ZipFile(path) as archive:
        book = load_workbook(io.BytesIO(archive.read(package.WORKBOOK)))
    sheet_cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in sheet_cells)
    assert "'" + hostile in [c.value for c in sheet_cells]


def test_progress_is_reported_per_table(cast, package_data, tmp_path):
    seen = []
    built(cast.collaborative, tmp_path, progress=lambda done, total, name: seen.append((done, total, name)))
    total = len(package.TABLES)
    assert seen[0] == (0, total, next(iter(package.TABLES)))
    assert seen[-1] == (total, total, "")
    assert [s[0] for s in seen] == list(range(total + 1))


def test_a_new_table_registered_is_written_and_described(cast, package_data, tmp_path):
    @package.table("extra_scores", "A table added later.", [("organisation", "category", "Who"), ("n", "count", "N")])
    def extra(context):
        for organisation_id in context.organisation_ids:
            yield [context.label(organisation_id), package.count(12)]

    try:
        files = tables_of(built(cast.collaborative, tmp_path))
    finally:
        del package.TABLES["extra_scores"]
    assert files["extra_scores.csv"][1][1] == "10"
    assert ["extra_scores.csv", "n", "N", "count"] in files[package.DICTIONARY]


def test_a_bad_kind_or_a_duplicate_table_is_refused():
    with pytest.raises(ValueError, match="kind"):
        package.Column("x", "number", "")
    with pytest.raises(ValueError, match="exists"):
        package.register(next(iter(package.TABLES.values())))


def test_the_csv_files_read_back_with_the_csv_module(cast, package_data, tmp_path):
    path = built(cast.collaborative, tmp_path)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".csv"):
                rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"), newline="")))
                width = len(rows[0])
                assert all(len(row) == width for row in rows), name


def test_approach_feedback_is_collaborative_wide_and_suppressed(cast, package_data, tmp_path):
    files = tables_of(built(cast.collaborative, tmp_path))
    rows = files["approach_feedback.csv"]
    col = {name: i for i, name in enumerate(rows[0])}
    assert "organisation" not in col  # never by organisation
    by = {(r[col["round"]], r[col["part"]]): r for r in rows[1:]}
    # Every round opened so far and every part, whether or not anyone answered (the grid is whole).
    assert set(by) == {(str(n), name) for n in (1, 2) for name, _ in PARTS}
    coaching = by[("1", "coaching")]
    # 6 very helpful (published 5), 2 unhelpful (*): 6 of the 8 who used it, published 5 of 10.
    assert [coaching[col[c]] for c in ("very_helpful", "helpful", "neither", "unhelpful", "not_used")] == [
        "5",
        "*",
        "*",
        "*",
        "*",
    ]
    assert coaching[col["helpful_rate"]] == "50.0"
    pdsa = by[("1", "pdsa")]
    # 8 neither, published 10; none found it helpful, a count under 5, so the share is * too.
    assert pdsa[col["neither"]] == "10" and pdsa[col["helpful_rate"]] == "*"
    experts = by[("1", "experts")]
    assert experts[col["not_used"]] == "10" and experts[col["helpful_rate"]] == "*"  # nobody used them
    # Round 2's three answers are all under 5.
    assert {c for (n, _), r in by.items() if n == "2" for c in r[col["very_helpful"] : col["helpful_rate"] + 1]} == {
        "*"
    }
    assert coaching[col["round_opened_on"]] < by[("2", "coaching")][col["round_opened_on"]]
    assert coaching[col["round_closed"]] == "yes" and by[("2", "pdsa")][col["round_closed"]] == "no"


def test_sustainability_scores_give_each_factor_the_total_and_the_change(cast, package_data, tmp_path):
    files = tables_of(built(cast.collaborative, tmp_path))
    rows = files["sustainability_scores.csv"]
    col = {name: i for i, name in enumerate(rows[0])}
    assert [(r[col["round"]], r[col["status"]]) for r in rows[1:]] == [("start", "scored"), ("end", "scored")]
    start, end = rows[1:]
    assert start[col["organisation"]] == _label(cast, cast.org_a)
    assert start[col["project_id"]] == str(package_data["idea"].diagram.project_id)
    senior = model.BY_KEY["senior_leadership"]
    assert float(start[col["senior_leadership"]]) == senior.points["b"]
    assert float(end[col["senior_leadership"]]) == senior.top
    assert float(end[col["fit"]]) == model.BY_KEY["fit"].points["c"]
    start_total = model.score({f.key: "b" for f in model.FACTORS}).total
    end_total = model.score({f.key: "a" for f in model.FACTORS} | {"fit": "c"}).total
    assert float(start[col["total"]]) == start_total and float(end[col["total"]]) == end_total
    assert float(end[col["total_change"]]) == pytest.approx(end_total - start_total, abs=0.05)
    assert float(end[col["fit_change"]]) == pytest.approx(
        model.BY_KEY["fit"].points["c"] - model.BY_KEY["fit"].points["b"]
    )
    assert start[col["total_change"]] == "" and start[col["fit_change"]] == ""
    assert start[col["scored_on"]]


def test_a_draft_assessment_has_its_answered_points_but_no_total(cast, package_data, tmp_path):
    from evaluation.models import SustainabilityAssessment

    with scopes_disabled():
        end = SustainabilityAssessment.objects.get(round="end")
        end.record({"benefits": "a"}, by=None)
    rows = tables_of(built(cast.collaborative, tmp_path))["sustainability_scores.csv"]
    col = {name: i for i, name in enumerate(rows[0])}
    draft = next(r for r in rows[1:] if r[col["round"]] == "end")
    assert draft[col["status"]] == "draft" and draft[col["total"]] == "" and draft[col["scored_on"]] == ""
    assert float(draft[col["benefits"]]) == model.BY_KEY["benefits"].top and draft[col["fit"]] == ""
    assert draft[col["total_change"]] == "" and draft[col["fit_change"]] == ""
    assert float(draft[col["benefits_change"]]) == pytest.approx(
        model.BY_KEY["benefits"].top - model.BY_KEY["benefits"].points["b"]
    )
