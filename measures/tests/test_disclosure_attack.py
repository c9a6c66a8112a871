"""An attacker's view of every suppressed figure the demo publishes: nothing beyond the rounded counts.

For each published row the attacker lists every raw (numerator, denominator)
the rounded counts allow: each count n with round5(n) equal to the count
shown and n >= 5 (or 0 to 4 for ``*``), the numerator no more than the
denominator for a proportion. Knowing how the platform publishes, the
attacker then keeps only the pairs that would publish the rate shown. Safe
publication keeps them all: the rate rules none out. The same attack on the
old publication (a raw rate to 0.1 beside the rounded counts: 15 and 75 at
23.0% fit only 17/74) must succeed on the demo data, or the attack proves
nothing.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_scopes import scopes_disabled

from collaborative import demo
from collaborative.models import Collaborative
from conftest import sign_in
from evaluation import pseudonyms
from measures.disclosure import publish, suppress_count, suppress_value
from measures.models import DataPoint, Measure
from measures.series import scale_and_unit
from organisations.models import Organisation


def raw_counts(shown: str) -> range:
    """Every raw count a published count allows."""
    if shown == "*":
        return range(0, 5)
    n = int(shown)
    return range(max(5, n - 2), n + 3)


def allowed_pairs(measure, numerator: str, denominator: str) -> set[tuple[int, int]]:
    return {
        (n, d)
        for n in raw_counts(numerator)
        for d in raw_counts(denominator)
        if d > 0 and (measure.value_type != "proportion" or n <= d)
    }


def attack_rate(measure, numerator: str, denominator: str, rate: str, *, raw_pair) -> tuple[set, set]:
    """(pairs the rounded counts allow, pairs still allowed once the published rate is known)."""
    scale, unit = scale_and_unit(measure)
    pairs = allowed_pairs(measure, numerator, denominator)
    assert raw_pair in pairs, "the published counts are not the rounded raw counts"
    return pairs, {(n, d) for n, d in pairs if publish(n, d, None, scale=scale, unit=unit).rate_text == rate}


def old_rate(measure, n: int, d: int) -> str:
    """How rates were published before: from the raw counts, to 0.1 of the unit."""
    scale, unit = scale_and_unit(measure)
    return f"{n / d * scale:,.1f}{unit}"


def expected_rate(measure, numerator: str, denominator: str) -> str:
    """The rate worked out by hand from the rounded counts alone, in the measure's unit."""
    if "*" in (numerator, denominator):
        return "*"
    scale, unit = scale_and_unit(measure)
    return f"{int(numerator) / int(denominator) * scale:,.1f}{unit}"


def check_value(measure, shown: str, raw: Decimal) -> None:
    if not measure.value_is_count:
        assert Decimal(shown) == raw.normalize()  # not a count of anyone: published as it is
        return
    # a count of people or events: rounded like any count, and consistent with the raw value
    assert shown == "*" or (int(shown) % 5 == 0 and int(shown) >= 5)
    assert str(suppress_value(raw, is_count=True) or "*") == shown


class Attack:
    """The attack on one published row at a time, against the raw data point behind it.

    It counts what it tried, so the test can show the attack was tried on
    enough figures and would have worked on the old publication.
    """

    def __init__(self, raw: dict[tuple[str, str, str, str], DataPoint]):
        self.raw = raw
        self.counted = {"rates": 0, "suppressed rates": 0, "count values": 0, "old leaks": 0}

    def __call__(self, org, measure, period, stratum, numerator, denominator, rate, value) -> None:
        point = self.raw[(org, measure.code, period, stratum)]
        if point.numerator is None:  # a value measure: its counts are not applicable
            assert (numerator, denominator, rate) == ("", "", "")
            check_value(measure, value, point.value)
            self.counted["count values"] += measure.value_is_count
            return
        assert numerator == str(suppress_count(point.numerator) or "*")
        assert denominator == str(suppress_count(point.denominator) or "*")
        if rate is None:  # an export with no rate column
            allowed_pairs(measure, numerator, denominator)
            return
        assert rate == expected_rate(measure, numerator, denominator)
        if measure.value_type == "rate":
            assert "%" not in rate
        pairs, still = attack_rate(measure, numerator, denominator, rate, raw_pair=(point.numerator, point.denominator))
        assert still == pairs, f"{org} {measure.code} {period} {stratum}: the rate {rate} rules out raw pairs"
        self.counted["rates" if rate != "*" else "suppressed rates"] += 1
        if "*" not in (numerator, denominator):
            old = old_rate(measure, point.numerator, point.denominator)
            self.counted["old leaks"] += len({p for p in pairs if old_rate(measure, *p) == old}) < len(pairs)


@pytest.fixture
def demo_data(db):
    demo.seed()


def user(email):
    return get_user_model().objects.get(email=email)


def download(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_no_suppressed_export_or_page_tells_more_than_its_rounded_counts(client, demo_data):
    with scopes_disabled():
        measures = {(m.organisation.name, m.code): m for m in Measure.objects.select_related("organisation")}
        raw = {
            (p.organisation.name, p.measure.code, p.period_start.isoformat(), p.stratum): p
            for p in DataPoint.objects.select_related("organisation", "measure")
        }
    attack = Attack(raw)
    counted = attack.counted

    # The evaluator's export: every data point of every organisation, under its pseudonym.
    with scopes_disabled():
        collaborative = Collaborative.objects.get()
        names = {o.pk: o.name for o in Organisation.objects.all()}
    name_of = {label: names[pk] for pk, label in pseudonyms.enrolled_labels(collaborative).items()}
    sign_in(client, user("evaluator@demo.example"))
    rows = download(client.get(reverse("evaluation:export")))
    assert len(rows) == len(raw)
    columns = ["period_start", "stratum", "numerator", "denominator", "rate", "value"]
    for r in rows:
        org = name_of[r["organisation"]]
        attack(org, measures[(org, r["measure_code"])], *(r[c] for c in columns))

    # The series page, every page of it: the latest figures of each measure and its equality gap.
    counted.update(series_attack(client, attack, name_of, measures, raw))

    # A coach's suppressed download of each measure of each organisation assigned to them.
    sign_in(client, user("coach1@demo.example"))
    coached = 0
    for (org, _), measure in measures.items():
        if org not in {name for name, _, _ in demo.ORGANISATIONS[:3]}:
            continue
        url = reverse("measures:measure_csv", kwargs={"org": measure.organisation.slug, "pk": measure.pk})
        for r in download(client.get(url)):
            numerator, denominator = r["numerator"], r["denominator"]
            if measure.has_fraction:
                attack(org, measure, r["period_start"], r["stratum"], numerator, denominator, None, r["value"])
            else:
                attack(org, measure, r["period_start"], r["stratum"], numerator, denominator, "", r["value"])
            coached += 1
    assert coached > 1000

    # The attack was tried on enough figures, and it would have worked on the old publication.
    assert counted["rates"] > 1000 and counted["count values"] > 100
    assert counted["old leaks"] > 100, counted
    assert counted["series rows"] > 100 and counted["series gaps"] > 20 and counted["series gaps *"] >= 1, counted


def series_attack(client, attack, name_of, measures, raw) -> dict:
    """Every figure of every page of /evaluation/series/ against the raw data behind it.

    The whole population's counts and rate go through the same attack as the export. A gap is the
    focus group's published figure minus the reference group's: it must be * whenever either group has a
    count under 5 (so no small count is in it), and otherwise exactly what the rounded counts give (so,
    with the counts shown beside it, it tells nothing finer than rounded counts do).
    """
    from evaluation import evidence

    counted = {"series rows": 0, "series gaps": 0, "series gaps *": 0}
    url = reverse("evaluation:series")
    first = client.get(url)
    for number in first.context["page"].paginator.page_range:
        for row in client.get(f"{url}?page={number}").context["rows"]:
            org, measure = name_of[row.organisation], row.measure
            with scopes_disabled():
                pair = evidence.focus_pairs([measure]).get(measure.pk)
            for t in row.table:
                period = t["period_start"].isoformat()
                if measure.has_fraction:
                    attack(org, measure, period, "all", t["numerator"], t["denominator"], t["figure"], "")
                else:
                    value = t["figure"].removesuffix(scale_and_unit(measure)[1])
                    attack(org, measure, period, "all", "", "", "", value)
                counted["series rows"] += 1
                if pair is not None:
                    check_gap(measure, t["gap"], *(raw.get((org, measure.code, period, s)) for s in pair))
                    counted["series gaps" if t["gap"] != "*" else "series gaps *"] += 1
    return counted


def check_gap(measure, shown: str, focus, reference) -> None:
    if focus is None or reference is None:
        assert shown == "–"
        return
    counts = [c for p in (focus, reference) for c in (p.numerator, p.denominator) if c is not None]
    if measure.has_fraction and any(c < 5 for c in counts):
        assert shown == "*", f"{measure.code} {focus.period_start}: a gap shown from a count under 5"
        return
    scale, unit = scale_and_unit(measure)
    figures = [
        publish(p.numerator, p.denominator, p.value, scale=scale, value_is_count=measure.value_is_count)
        for p in (focus, reference)
    ]
    numbers = [f.rate if measure.has_fraction else (None if f.value is None else float(f.value)) for f in figures]
    expected = "*" if None in numbers else format(numbers[0] - numbers[1], "+,.1f")
    assert shown == expected, f"{measure.code} {focus.period_start}: gap {shown}, the rounded counts give {expected}"
