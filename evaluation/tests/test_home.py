"""The evaluation area's front page and its suppressed, pseudonymised CSV export."""

from datetime import date
from decimal import Decimal

from django.urls import reverse
from django_scopes import scopes_disabled

from evaluation import pseudonyms
from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.models import AuditEvent


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_evaluator_sees_the_questions_and_exports_every_organisation_suppressed_under_pseudonyms(client, cast, login):
    measure_a = make_measure(cast.org_a)
    measure_b = make_measure(cast.org_b)
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a, measure=measure_a, period_start=date(2025, 1, 1), numerator=4, denominator=12
        )
        DataPoint.objects.create(
            organisation=cast.org_b, measure=measure_b, period_start=date(2025, 1, 1), numerator=13, denominator=42
        )
    labels = pseudonyms.enrolled_labels(cast.collaborative)
    login(client, cast.evaluator)
    page = client.get(reverse("evaluation:home")).content.decode()
    assert "Have we achieved a sustained improvement?" in page and "Organisations by phase" in page
    assert "Hidden: each organisation appears under a stable pseudonym" in page
    assert "Alpha Trust" not in page and "Beta Trust" not in page
    assert "programme settings" not in page  # only the national team may change it
    exported = body(client.get(reverse("evaluation:export")))
    a, b = labels[cast.org_a.pk], labels[cast.org_b.pk]
    assert a.startswith("Organisation ") and a != b
    assert f"{a},EIP,Started treatment within 2 weeks,2025-01-01,all,*,10,*," in exported
    assert f"{b},EIP,Started treatment within 2 weeks,2025-01-01,all,15,40,37.5%," in exported
    assert "Alpha Trust" not in exported and "Beta Trust" not in exported
    assert AuditEvent.objects.filter(action="export", user=cast.evaluator).exists()


def test_names_appear_only_when_the_national_team_allows_them(client, cast, login):
    measure = make_measure(cast.org_a)
    with scopes_disabled():
        DataPoint.objects.create(
            organisation=cast.org_a, measure=measure, period_start=date(2025, 1, 1), numerator=20, denominator=40
        )
    cast.collaborative.evaluation_names_allowed = True
    cast.collaborative.save()
    login(client, cast.national)
    page = client.get(reverse("evaluation:home")).content.decode()
    assert "Shown: the national team allows names" in page and "programme settings" in page
    assert "Alpha Trust,EIP," in body(client.get(reverse("evaluation:export")))


def test_export_keeps_each_measures_unit_and_suppresses_counts_of_people(client, cast, login):
    rate = make_measure(
        cast.org_a,
        code="RESTR",
        name="Restraint",
        value_type="rate",
        rate_per=1000,
        dimension="",
        reference_category="",
    )
    value = dict(value_type="value", numerator_definition="", denominator_definition="", dimension="")
    detentions = make_measure(
        cast.org_a, code="S136", name="Detentions", unit="detentions", value_is_count=True, **value
    )
    waits = make_measure(cast.org_a, code="WAIT", name="Wait", unit="days", reference_category="", **value)
    few = make_measure(cast.org_b, code="S136", name="Detentions", unit="detentions", value_is_count=True, **value)
    with scopes_disabled():
        for measure, fields in [
            (rate, {"numerator": 23, "denominator": 1198}),  # 25 / 1,200 bed days: 20.8 per 1,000
            (detentions, {"value": Decimal("21")}),  # 21 people: 20
            (waits, {"value": Decimal("3.5")}),  # days, not people: as it is
            (few, {"value": Decimal("3")}),  # 3 people: *
        ]:
            DataPoint.objects.create(
                organisation=measure.organisation, measure=measure, period_start=date(2025, 1, 1), **fields
            )
    labels = pseudonyms.enrolled_labels(cast.collaborative)
    a, b = labels[cast.org_a.pk], labels[cast.org_b.pk]
    login(client, cast.evaluator)
    exported = body(client.get(reverse("evaluation:export")))
    assert f'{a},RESTR,Restraint,2025-01-01,all,25,1200,"20.8 per 1,000",' in exported
    assert f"{a},S136,Detentions,2025-01-01,all,,,,20" in exported
    assert f"{a},WAIT,Wait,2025-01-01,all,,,,3.5" in exported
    assert f"{b},S136,Detentions,2025-01-01,all,,,,*" in exported
    login(client, cast.coach)
    url = reverse("measures:measure_csv", kwargs={"org": "alpha", "pk": detentions.pk})
    assert "S136,2025-01-01,all,,,20" in client.get(url).content.decode()
    login(client, cast.lead)
    assert "S136,2025-01-01,all,,,21.000000" in client.get(url).content.decode()  # the team's own raw figure


def test_the_national_team_allows_names_on_the_programme_settings_page_and_it_is_audited(client, cast, login):
    login(client, cast.national)
    page = client.get(reverse("collaborative:settings")).content.decode()
    assert "Show organisations&#x27; names in the evaluation" in page or "Show organisations' names" in page
    form = client.get(reverse("collaborative:settings")).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "evaluation_names_allowed"}
    data |= {"vat_rate": "20", "annual_fee": "15000", "start_date_0": "", "evaluation_names_allowed": "on"}
    start = cast.collaborative.start_date
    data |= {"start_date_0": start.day, "start_date_1": start.month, "start_date_2": start.year}
    data["data_due_time"] = "23:59"
    response = client.post(reverse("collaborative:settings"), data)
    assert response.status_code == 302, response.context["form"].errors
    cast.collaborative.refresh_from_db()
    assert cast.collaborative.evaluation_names_allowed
    assert AuditEvent.objects.filter(summary="Organisations' names in the evaluation: now shown").count() == 1
