import io
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from measures.importing import import_file
from measures.models import ChartSettings, DataPoint, DataPointRevision
from measures.tests.factories import make_measure
from organisations.models import AuditEvent

HEADER = "measure_code,period_start,stratum,numerator,denominator,value\n"


def good_file(months=3, numerator=12):
    rows = [f"EIP,2025-{m:02d}-01,all,{numerator},40," for m in range(1, months + 1)]
    rows += [f"EIP,2025-{m:02d}-01,ethnicity:M,3,9," for m in range(1, months + 1)]
    return (HEADER + "\n".join(rows) + "\n").encode()


def points(organisation):
    with scopes_disabled():
        return sorted(
            DataPoint.objects.filter(organisation=organisation).values_list(
                "period_start", "stratum", "numerator", "denominator"
            )
        )


def test_good_file_imports_every_row_with_history(cast):
    make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", good_file(), by=cast.lead)
    assert (summary.created, summary.updated, summary.unchanged) == (6, 0, 0)
    assert (date(2025, 2, 1), "ethnicity:M", 3, 9) in points(cast.org_a)
    with scopes_disabled():
        assert DataPointRevision.objects.filter(organisation=cast.org_a, old__isnull=True).count() == 6


def test_reimporting_the_same_file_changes_nothing_and_a_correction_is_kept_with_its_history(cast):
    make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        import_file(cast.org_a, "data.csv", good_file(), by=cast.lead)
        _, again = import_file(cast.org_a, "data.csv", good_file(), by=cast.lead)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
        _, corrected = import_file(cast.org_a, "data.csv", good_file(numerator=13), by=cast.member)
        assert corrected.updated == 3
    with scopes_disabled():
        assert DataPoint.objects.filter(organisation=cast.org_a).count() == 6
        revision = DataPointRevision.objects.filter(stratum="all", period_start=date(2025, 1, 1)).first()
    assert revision.old["numerator"] == 12 and revision.new["numerator"] == 13 and revision.by == cast.member


def test_a_file_with_any_bad_row_changes_nothing(cast):
    make_measure(cast.org_a)
    bad = good_file().decode() + "EIP,2025-04-01,all,50,40,\nEIP,2025-05-15,all,1,2,\n"
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", bad.encode(), by=cast.lead)
    assert summary is None
    assert [(e.row, e.column) for e in result.errors] == [(8, "numerator"), (9, "period_start")]
    assert points(cast.org_a) == []


def test_another_organisations_measure_code_is_unknown(cast):
    make_measure(cast.org_b)
    with scope(organisation=[cast.org_a.pk]):
        result, summary = import_file(cast.org_a, "data.csv", good_file(), by=cast.lead)
    assert summary is None
    assert "no measure with the code 'EIP'" in result.errors[0].message
    assert points(cast.org_b) == []


def test_upload_page_previews_then_imports_on_confirmation(client, cast, login):
    make_measure(cast.org_a)
    login(client, cast.member)
    url = reverse("measures:data_import", kwargs={"org": "alpha"})
    upload = io.BytesIO(good_file())
    upload.name = "january.csv"
    response = client.post(url, {"file": upload})
    assert response.status_code == 200
    assert "6 new, 0 changed, 0 unchanged" in response.content.decode()
    assert points(cast.org_a) == []  # nothing until confirmed
    response = client.post(url, {"confirm": "1", "ticket": response.context["ticket"]})
    assert response.status_code == 302
    assert len(points(cast.org_a)) == 6
    assert AuditEvent.objects.filter(organisation=cast.org_a, summary__startswith="Imported january.csv").exists()


def test_upload_page_reports_every_bad_row(client, cast, login):
    make_measure(cast.org_a)
    login(client, cast.lead)
    upload = io.BytesIO((HEADER + "EIP,2025-01-01,all,50,40,\nNOPE,2025-01-01,all,1,2,\n").encode())
    upload.name = "bad.csv"
    response = client.post(reverse("measures:data_import", kwargs={"org": "alpha"}), {"file": upload})
    assert response.status_code == 422
    page = response.content.decode()
    assert "2 problems found. Nothing has been changed" in page
    assert "the numerator (50) is more than the denominator (40)" in page
    assert "no measure with the code &#x27;NOPE&#x27;" in page


@pytest.mark.parametrize(
    "name,content,words",
    [
        ("data.exe", b"MZ", "Upload a CSV file"),
        ("photo.xlsx", b"\x89PNG\r\n", "not an Excel workbook"),
    ],
)
def test_upload_of_the_wrong_type_is_refused(client, cast, login, name, content, words):
    login(client, cast.lead)
    upload = io.BytesIO(content)
    upload.name = name
    response = client.post(reverse("measures:data_import", kwargs={"org": "alpha"}), {"file": upload})
    assert response.status_code == 422
    assert words in response.content.decode()


def test_import_command_exit_status_and_row_report(cast, tmp_path, capsys):
    make_measure(cast.org_a)
    good = tmp_path / "good.csv"
    good.write_bytes(good_file())
    call_command("import_data", "--organisation", "alpha", str(good))
    assert "6 rows: 6 new" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes((HEADER + "EIP,2025-07-01,all,9,4,\n").encode())
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="1 problems found: nothing was imported"):
        call_command("import_data", "--organisation", "alpha", str(bad))
    assert "Row 2, numerator" in capsys.readouterr().err
    assert len(points(cast.org_a)) == 6


def grid_post(measure, cells, extra=None):
    data = {f"c|{period}|{stratum}|{part}": value for (period, stratum, part), value in cells.items()}
    data.update(extra or {})
    return data


def test_grid_saves_all_cells_or_none_and_keeps_what_was_typed(client, cast, login):
    measure = make_measure(cast.org_a)
    login(client, cast.lead)
    url = reverse("measures:measure_grid", kwargs={"org": "alpha", "pk": measure.pk}) + "?to=2025-03-01"
    response = client.post(
        url,
        grid_post(
            measure,
            {
                ("2025-03-01", "all", "numerator"): "12",
                ("2025-03-01", "all", "denominator"): "40",
                ("2025-03-01", "ethnicity:M", "numerator"): "9",
                ("2025-03-01", "ethnicity:M", "denominator"): "4",
            },
        ),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "the numerator (9) is more than the denominator (4)" in page
    assert 'value="12"' in page  # nothing lost
    assert points(cast.org_a) == []
    response = client.post(
        url,
        grid_post(
            measure,
            {
                ("2025-03-01", "all", "numerator"): "12",
                ("2025-03-01", "all", "denominator"): "40",
                ("2025-03-01", "ethnicity:M", "numerator"): "3",
                ("2025-03-01", "ethnicity:M", "denominator"): "4",
            },
        ),
    )
    assert response.status_code == 302
    assert points(cast.org_a) == [(date(2025, 3, 1), "all", 12, 40), (date(2025, 3, 1), "ethnicity:M", 3, 4)]


def test_grid_cell_saves_as_you_go_and_clearing_a_cell_makes_a_gap(client, cast, login):
    measure = make_measure(cast.org_a)
    login(client, cast.member)
    url = reverse("measures:grid_cell", kwargs={"org": "alpha", "pk": measure.pk})
    cell = {"period": "2025-02-01", "stratum": "all"}
    response = client.post(
        url,
        grid_post(measure, {("2025-02-01", "all", "numerator"): "5", ("2025-02-01", "all", "denominator"): "20"}, cell),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Saved" in response.content.decode()
    assert points(cast.org_a) == [(date(2025, 2, 1), "all", 5, 20)]
    response = client.post(
        url,
        grid_post(
            measure, {("2025-02-01", "all", "numerator"): "five", ("2025-02-01", "all", "denominator"): "20"}, cell
        ),
    )
    assert response.status_code == 422 and "whole number" in response.content.decode()
    assert points(cast.org_a) == [(date(2025, 2, 1), "all", 5, 20)]
    client.post(
        url,
        grid_post(measure, {("2025-02-01", "all", "numerator"): "", ("2025-02-01", "all", "denominator"): ""}, cell),
    )
    assert points(cast.org_a) == []
    with scopes_disabled():
        assert DataPointRevision.objects.filter(new__isnull=True).count() == 1


def seed_series(organisation, measure, months=24, jump_at=None):
    with scopes_disabled():
        rows = []
        for i in range(months):
            period = date(2023 + (i // 12), i % 12 + 1, 1)
            numerator = 20 + (i % 3) + (15 if jump_at is not None and i >= jump_at else 0)
            rows.append(
                DataPoint(
                    organisation=organisation,
                    measure=measure,
                    period_start=period,
                    stratum="all",
                    numerator=numerator,
                    denominator=60,
                )
            )
            rows.append(
                DataPoint(
                    organisation=organisation,
                    measure=measure,
                    period_start=period,
                    stratum="ethnicity:A",
                    numerator=30,
                    denominator=60,
                )
            )
            rows.append(
                DataPoint(
                    organisation=organisation,
                    measure=measure,
                    period_start=period,
                    stratum="ethnicity:M",
                    numerator=10 + (i if i < 15 else 15) + (i % 2),
                    denominator=60,
                )
            )
        DataPoint.objects.bulk_create(rows)


def test_chart_page_shows_signals_limits_table_and_the_equality_gap(client, cast, login):
    from qi_projects.models import FocusPopulation

    measure = make_measure(cast.org_a)
    with scopes_disabled():
        FocusPopulation.objects.create(
            organisation=cast.org_a,
            project=measure.project,
            name="Black Caribbean",
            groups=["ethnicity:M"],
            inequality="access",
            evidence="Data",
            reference_group="ethnicity:A",
        )
    seed_series(cast.org_a, measure, jump_at=16)
    login(client, cast.coach)
    response = client.get(reverse("measures:measure_chart", kwargs={"org": "alpha", "pk": measure.pk}))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["result"].kind == "p"
    assert "Special cause variation: improvement" in page
    assert "Making Data Count rules, with the November 2023 change" in page
    assert "Equality gap" in page and "The gap is narrowing" in page
    assert 'data-chart="spc"' in page and "The chart's figures" in page


def test_too_few_points_give_a_run_chart(client, cast, login):
    measure = make_measure(cast.org_a)
    seed_series(cast.org_a, measure, months=6)
    login(client, cast.lead)
    response = client.get(reverse("measures:measure_chart", kwargs={"org": "alpha", "pk": measure.pk}))
    assert response.context["result"].kind == "run"
    assert "a run chart is shown" in response.content.decode()


def test_csv_is_raw_for_the_team_and_suppressed_for_the_coach(client, cast, login):
    measure = make_measure(cast.org_a)
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a,
            measure=measure,
            period_start=date(2025, 1, 1),
            stratum="ethnicity:M",
            numerator=3,
            denominator=13,
        )
    url = reverse("measures:measure_csv", kwargs={"org": "alpha", "pk": measure.pk})
    login(client, cast.lead)
    assert "EIP,2025-01-01,ethnicity:M,3,13," in client.get(url).content.decode()
    login(client, cast.coach)
    assert "EIP,2025-01-01,ethnicity:M,*,15," in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="export", organisation=cast.org_a).count() == 2


def test_chart_settings_refuse_nonsense(client, cast, login):
    measure = make_measure(
        cast.org_a,
        code="WAIT",
        value_type="value",
        unit="days",
        numerator_definition="",
        denominator_definition="",
        dimension="",
        reference_category="",
        improvement="decrease",
    )
    login(client, cast.lead)
    url = reverse("measures:measure_settings", kwargs={"org": "alpha", "pk": measure.pk})
    response = client.post(url, {"chart_type": "p", "rules": "mdc", "rebase_text": "2025-01-15"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "A p chart is for proportions" in page and "monthly period starts on the 1st" in page
    with scopes_disabled():
        assert not ChartSettings.objects.exists()
    response = client.post(url, {"chart_type": "xmr", "rules": "mdc-pre2023", "rebase_text": "2025-01-01"})
    assert response.status_code == 302
    with scopes_disabled():
        assert ChartSettings.objects.get().rebase_on == ["2025-01-01"]


def test_baseline_gate_is_ticked_from_the_data(cast):
    from measures.gates import baseline_data_collected

    measure = make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        assert baseline_data_collected(cast.org_a)[0] is False
        seed_series(cast.org_a, measure, months=6)
        done, evidence = baseline_data_collected(cast.org_a)
    assert done and "1 outcome measures" in evidence


def test_half_a_fraction_waits_for_the_other_half(client, cast, login):
    measure = make_measure(cast.org_a)
    login(client, cast.lead)
    url = reverse("measures:grid_cell", kwargs={"org": "alpha", "pk": measure.pk})
    response = client.post(
        url, grid_post(measure, {("2025-02-01", "all", "numerator"): "5"}, {"period": "2025-02-01", "stratum": "all"})
    )
    assert response.status_code == 204
    assert points(cast.org_a) == []


def test_chart_page_lists_who_changed_what(client, cast, login):
    measure = make_measure(cast.org_a)
    with scope(organisation=[cast.org_a.pk]):
        import_file(cast.org_a, "data.csv", good_file(months=1), by=cast.lead)
        import_file(cast.org_a, "data.csv", good_file(months=1, numerator=14), by=cast.member)
    login(client, cast.coach)
    page = client.get(reverse("measures:measure_chart", kwargs={"org": "alpha", "pk": measure.pk})).content.decode()
    assert "Recent changes to this measure" in page
    assert "<td>12/40</td>" in page and "<td>14/40</td>" in page
