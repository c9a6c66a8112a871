"""`make bench`: the budgets of docs/architecture.md section 5, measured and printed as a table."""

import io
import statistics
import time as clock_time
from datetime import date, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from collaborative.models import Collaborative, add_months
from measures import spc
from measures.importing import import_file
from measures.models import DataPoint, Measure
from organisations.clock import london
from organisations.models import Organisation


class Rollback(Exception):
    """Raised to undo the import benchmark's writes."""


class Command(BaseCommand):
    help = "Measure page times, query counts, import and SPC speed on the seed_bench data."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30, help="Requests per page (p95 over these).")

    def handle(self, *args, repeat=30, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("Warning: the budgets are for PostgreSQL; this run uses " + connection.vendor + ".")
        User = get_user_model()
        if not User.objects.filter(email="lead1@bench.example").exists():
            raise CommandError("No bench data: run `manage.py seed_bench --orgs 100 --months 36 --seed 1` first.")
        rows = []
        org1 = Organisation.objects.get(slug="bench-001")
        n_orgs = Organisation.objects.filter(slug__startswith="bench-").count()
        pages = [
            (
                "Organisation dashboard (data overview)",
                "lead1@bench.example",
                reverse("measures:data_overview", kwargs={"org": org1.slug}),
                150,
                20,
            ),
            (
                "Organisation workspace",
                "lead1@bench.example",
                reverse("collaborative:workspace", kwargs={"org": org1.slug}),
                150,
                20,
            ),
            (
                "Sponsor's summary",
                "sponsor1@bench.example",
                reverse("collaborative:sponsor", kwargs={"org": org1.slug}),
                150,
                20,
            ),
            (
                "Measure chart with equality gap",
                "lead1@bench.example",
                reverse("measures:measure_chart", kwargs={"org": org1.slug, "pk": self._measure_pk(org1)}),
                150,
                20,
            ),
            (
                "PDSA cycles list",
                "lead1@bench.example",
                reverse("pdsa:pdsa_list", kwargs={"org": org1.slug}),
                150,
                20,
            ),
            (
                "Coach portfolio (20 organisations)",
                "coach1@bench.example",
                reverse("collaborative:portfolio"),
                250,
                None,
            ),
            (
                f"Programme board ({n_orgs} organisations)",
                "national@bench.example",
                reverse("collaborative:board"),
                500,
                None,
            ),
        ]
        pages += self._learning_set_pages()
        pages += self._evaluation_pages(n_orgs)
        for label, email, url, budget_ms, query_budget in pages:
            times, queries, status = self._page(User.objects.get(email=email), url, repeat)
            p95 = _p95(times)
            ok = p95 <= budget_ms and (query_budget is None or queries <= query_budget) and status == 200
            rows.append(
                (
                    label,
                    f"p95 {p95:.0f} ms, {queries} queries",
                    f"≤ {budget_ms} ms" + (f", ≤ {query_budget} queries" if query_budget else ""),
                    ok,
                )
            )
        rows.append(self._import(org1))
        rows += self._reminders(n_orgs)
        rows += self._spc()
        rows += self._package(org1, n_orgs)
        self._print(rows)

    def _learning_set_pages(self) -> list[tuple]:
        from learning_sets.models import CalendarFeed

        feed = CalendarFeed.objects.filter(user__email="lead1@bench.example", token__isnull=False).first()
        pages = [("Learning sets page", "lead1@bench.example", reverse("learning_sets:list"), 150, None)]
        if feed is not None:
            url = reverse("learning_sets:calendar_feed", kwargs={"token": feed.token})
            pages.append(("Calendar feed (.ics)", "lead1@bench.example", url, 150, None))
        return pages

    def _evaluation_pages(self, n_orgs) -> list[tuple]:
        """The evaluation area as the evaluator reads it: the front page, the three questions, the series."""
        pages = [
            ("Evaluation front page", "evaluation:home"),
            ("Evaluation: sustained improvement", "evaluation:sustained"),
            ("Evaluation: interventions", "evaluation:interventions"),
            ("Evaluation: approach feedback", "evaluation:approach"),
            ("Evaluation: series and signals", "evaluation:series"),
        ]
        rows = [
            (f"{label} ({n_orgs} organisations)", "evaluator@bench.example", reverse(name), 500, None)
            for label, name in pages
        ]
        from qi_projects.models import ProgrammeElement

        idea = (
            ProgrammeElement.objects.filter(diagram__collaborative__slug="bench", kind="change_idea", removed_at=None)
            .order_by("position", "pk")
            .first()
        )
        if idea is not None:  # the bench ideas' programme lineage (seed_bench) gives the filter real work
            url = f"{reverse('evaluation:series')}?idea={idea.pk}"
            rows.append(
                (
                    f"Evaluation: series of one change idea ({n_orgs} organisations)",
                    "evaluator@bench.example",
                    url,
                    500,
                    None,
                )
            )
        return rows

    def _measure_pk(self, organisation) -> int:
        with scopes_disabled():
            return Measure.objects.filter(organisation=organisation, code="OM1").values_list("pk", flat=True)[0]

    def _page(self, user, url, repeat):
        client = Client(SERVER_NAME=(settings.ALLOWED_HOSTS or ["localhost"])[0])
        client.force_login(user)
        client.get(url, secure=True)  # warm caches and connections
        times = []
        counted = []

        def count(execute, sql, params, many, context):
            counted.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url, secure=True)
        for _ in range(repeat):
            start = clock_time.perf_counter()
            client.get(url, secure=True)
            times.append((clock_time.perf_counter() - start) * 1000)
        return times, len(counted), response.status_code

    def _import(self, organisation):
        """10,000 new rows in one all-or-nothing import, rolled back afterwards."""
        with scopes_disabled():
            measures = list(Measure.objects.filter(organisation=organisation).order_by("code"))
            first = DataPoint.objects.filter(organisation=organisation).order_by("period_start").first().period_start
        lines = ["measure_code,period_start,stratum,numerator,denominator,value"]
        # 200 new months per measure and group, all before the seeded data: periods may reach back five
        # years before the collaborative started, so the rolled-back transaction moves its start to fit them.
        year = first.year - 17
        for measure in measures:
            strata = ["all"] + [
                f"{measure.dimension}:{c}"
                for c in ("A", "M", "N", "H", "J", "1", "2", "3", "4", "5")
                if _is_category(measure.dimension, c)
            ]
            for stratum in strata[:6]:
                for k in range(200):
                    period = f"{year + k // 12}-{k % 12 + 1:02d}-01"
                    if measure.value_type == "value":
                        lines.append(f"{measure.code},{period},{stratum},,,{20 + k % 7}")
                    else:
                        lines.append(f"{measure.code},{period},{stratum},{10 + k % 9},{100 + k % 13},")
        data = ("\n".join(lines[:10_001]) + "\n").encode()
        rows = len(lines[:10_001]) - 1
        elapsed = None
        try:
            with transaction.atomic(), scope(organisation=[organisation.pk]):
                Collaborative.objects.filter(enrolments__organisation=organisation).update(
                    start_date=date(year + 5, 1, 1)
                )
                start = clock_time.perf_counter()
                result, summary = import_file(organisation, "bench.csv", data, by=None, source="bench")
                elapsed = clock_time.perf_counter() - start
                assert summary is not None, result.errors[:3]
                raise Rollback
        except Rollback:
            pass
        return (f"CSV import, {rows:,} rows", f"{elapsed:.2f} s", "≤ 3 s", elapsed <= 3)

    def _reminders(self, n_orgs):
        """`send_due_reminders` at two busy moments, inline, each in a rolled-back transaction: the 10th at 08:05
        UK time (every organisation's "data due in 5 days") and a Monday at 08:05 (every coach's digest). Run
        again with half the organisations enrolled, the query count must be the same."""
        today = timezone.localdate()
        tenth = today.replace(day=10) if today.day < 10 else add_months(today.replace(day=10), 1)
        monday = today + timedelta(days=7 - today.weekday())
        rows = []
        for label, day in (("data day", tenth), ("Monday digests", monday)):
            now = london(day, time(8, 5))
            self._tick(now, n_orgs)  # warm, as a running worker is (content types are cached after the first)
            seconds, sent, queries = self._tick(now, n_orgs)
            _, _, half_queries = self._tick(now, n_orgs // 2)
            rows.append(
                (
                    f"send_due_reminders, {n_orgs} organisations ({label})",
                    f"{seconds:.2f} s, {sent} sent, {queries} queries ({n_orgs // 2} orgs: {half_queries})",
                    "≤ 10 s, queries not per organisation",
                    seconds <= 10 and queries == half_queries and sent > 0,
                )
            )
        return rows

    def _tick(self, now, enrolled):
        from collaborative.models import Enrolment
        from collaborative.reminders import run

        counted = []

        def count(execute, sql, params, many, context):
            counted.append(sql)
            return execute(sql, params, many, context)

        locmem = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        try:
            with transaction.atomic(), scopes_disabled(), override_settings(MAILERS=locmem):
                bench = Enrolment.objects.filter(organisation__slug__startswith="bench-", active=True)
                bench.exclude(pk__in=bench.order_by("organisation__slug").values("pk")[:enrolled]).update(active=False)
                start = clock_time.perf_counter()
                with connection.execute_wrapper(count):
                    report = run(now, inline=True)
                elapsed = clock_time.perf_counter() - start
                raise Rollback
        except Rollback:
            pass
        return elapsed, len(report.sent), len(counted)

    def _spc(self):
        import random

        rng = random.Random(1)
        values = [rng.gauss(50, 5) for _ in range(1000)]
        dens = [rng.randrange(50, 500) for _ in range(1000)]
        nums = [int(d * rng.uniform(0.2, 0.4)) for d in dens]
        results = []
        for label, call in (
            ("xmr_chart, 1,000 points", lambda: spc.xmr_chart(values, improvement="increase")),
            ("p_chart, 1,000 points", lambda: spc.p_chart(nums, dens, improvement="increase")),
        ):
            times = []
            for _ in range(50):
                start = clock_time.perf_counter()
                call()
                times.append((clock_time.perf_counter() - start) * 1000)
            median = statistics.median(times)
            results.append((label, f"median {median:.2f} ms", "≤ 5 ms", median <= 5))
        return results

    def _package(self, organisation, n_orgs):
        """The evaluator package for the bench collaborative, built as the worker builds it, timed; then built
        again under tracemalloc for the peak memory it took (tracemalloc slows Python, so not timed)."""
        import os
        import tempfile
        import tracemalloc

        from evaluation import package

        collaborative = Collaborative.objects.filter(enrolments__organisation=organisation).first()
        with tempfile.TemporaryDirectory(prefix="amhe-bench-") as folder:
            path = os.path.join(folder, "package.zip")
            start, cpu = clock_time.perf_counter(), clock_time.process_time()
            written = package.build(collaborative, path)
            seconds, cpu = clock_time.perf_counter() - start, clock_time.process_time() - cpu
            size = os.path.getsize(path)
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                package.build(collaborative, path)
                peak = tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()
        rows = sum(written.values())
        mb = 1024 * 1024
        return [
            (
                f"Evaluator package, {n_orgs} organisations",
                f"{seconds:.1f} s (CPU {cpu:.1f} s), {rows:,} rows, {size / mb:.1f} MB zip, peak +{peak / mb:.0f} MB",
                "≤ 60 s, streamed (peak ≤ 256 MB)",
                seconds <= 60 and peak <= 256 * mb,
            )
        ]

    def _print(self, rows):
        width = max(len(r[0]) for r in rows)
        measured_width = max(28, *(len(r[1]) for r in rows))
        budget_width = max(28, *(len(r[2]) for r in rows))
        out = io.StringIO()
        out.write(f"{'what':<{width}}  {'measured':<{measured_width}}  {'budget':<{budget_width}}  ok\n")
        out.write("-" * (width + measured_width + budget_width + 8) + "\n")
        for what, measured, budget, ok in rows:
            out.write(
                f"{what:<{width}}  {measured:<{measured_width}}  {budget:<{budget_width}}  {'yes' if ok else 'NO'}\n"
            )
        self.stdout.write(out.getvalue())


def _p95(times):
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _is_category(dimension, category):
    from qi_projects import equality

    return equality.is_category(dimension, category)
