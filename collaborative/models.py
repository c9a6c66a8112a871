import calendar
import secrets
from datetime import date, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django_scopes import ScopedManager

from organisations import text as bounded
from organisations.dates import near_today


def new_pseudonym_key() -> str:
    return secrets.token_hex(32)


class Collaborative(models.Model):
    """One run (wave) of the programme."""

    name = bounded.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    start_date = models.DateField()
    local_design_months = models.PositiveSmallIntegerField(default=6)
    testing_months = models.PositiveSmallIntegerField(default=24)
    sustaining_months = models.PositiveSmallIntegerField(default=6)
    annual_fee_pence = models.PositiveIntegerField(default=15_000_00, help_text="Net of VAT, in pence.")
    fee_years = models.PositiveSmallIntegerField(default=3)
    vat_rate_basis_points = models.PositiveIntegerField(default=2000, help_text="20% is 2000.")
    # The data submission rule (measures.deadlines.Rule): when each period's data is due.
    monthly_data_due_day = models.PositiveSmallIntegerField(
        "Monthly data due on day",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="Day of the following month, 1 to 31 (a shorter month uses its last day).",
    )
    weekly_data_due_days = models.PositiveSmallIntegerField(
        "Weekly data due, days after the week",
        default=7,
        validators=[MaxValueValidator(60)],
        help_text="Days after the week ends on Sunday, 0 to 60.",
    )
    quarterly_data_due_days = models.PositiveSmallIntegerField(
        "Quarterly data due, days after the quarter",
        default=30,
        validators=[MaxValueValidator(90)],
        help_text="Days after the quarter's last day, 0 to 90.",
    )
    data_due_time = models.TimeField(
        "Data due by (UK time)", default=time(23, 59), help_text="On the due day, in UK time, for example 23:59."
    )
    # The evaluation (evaluation/pseudonyms.py): organisations appear under pseudonyms unless names are allowed.
    evaluation_names_allowed = models.BooleanField(
        "Show organisations' names in the evaluation",
        default=False,
        help_text="Off: the evaluator sees each organisation under a stable pseudonym, in pages and in the package.",
    )
    pseudonym_key = models.CharField(max_length=64, default=new_pseudonym_key, editable=False)

    class Meta:
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.name

    def phase_months(self) -> list[int]:
        return [self.local_design_months, self.testing_months, self.sustaining_months]

    @classmethod
    def for_organisation(cls, organisation) -> "Collaborative | None":
        """The collaborative an organisation is enrolled in now (its latest active enrolment)."""
        enrolment = (
            Enrolment.objects.filter(organisation=organisation, active=True)
            .select_related("collaborative")
            .order_by("-start_date")
            .first()
        )
        return enrolment.collaborative if enrolment else None

    @property
    def vat_rate_percent(self) -> str:
        return f"{self.vat_rate_basis_points / 100:g}%"


class EnrolmentQuerySet(models.QuerySet):
    def with_flags(self, today: date):
        """Annotate what the programme board flags, in one query whatever the number of organisations."""
        current = Phase.objects.filter(enrolment=OuterRef("pk"), actual_start__isnull=False, actual_end__isnull=True)
        last_meeting = (
            TeamMeeting.objects.filter(organisation=OuterRef("organisation"))
            .values("organisation")
            .annotate(last=Max("date"))
            .values("last")
        )
        overdue = Invoice.objects.filter(
            enrolment=OuterRef("pk"), issued_on__isnull=False, paid_on__isnull=True, due_on__lt=today
        )
        return self.annotate(
            current_phase=Subquery(current.values("number")[:1]),
            current_phase_planned_end=Subquery(current.values("planned_end")[:1]),
            last_meeting=Subquery(last_meeting[:1]),
            has_overdue_invoice=Exists(overdue),
        )


class Enrolment(models.Model):
    """An organisation taking part in a collaborative, with its named lead and sponsor."""

    collaborative = models.ForeignKey(Collaborative, on_delete=models.CASCADE, related_name="enrolments")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="enrolments")
    start_date = models.DateField()
    active = models.BooleanField(default=True)
    lead_name = bounded.CharField("project lead's name", max_length=200, blank=True)
    lead_email = models.EmailField("project lead's email", blank=True)
    sponsor_name = bounded.CharField("executive sponsor's name", max_length=200, blank=True)
    sponsor_email = models.EmailField("executive sponsor's email", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation", _manager_class=models.Manager.from_queryset(EnrolmentQuerySet))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collaborative", "organisation"],
                condition=models.Q(active=True),
                name="one_active_enrolment_per_collaborative",
            )
        ]
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.collaborative}"

    @property
    def has_named_lead(self) -> bool:
        return bool(self.lead_name and self.lead_email)

    @property
    def has_named_sponsor(self) -> bool:
        return bool(self.sponsor_name and self.sponsor_email)

    def plan_phases(self) -> list["Phase"]:
        """Create the three phases with planned dates from the collaborative's plan."""
        start = self.start_date
        phases = []
        for number, months in enumerate(self.collaborative.phase_months(), start=1):
            end = add_months(start, months) - timedelta(days=1)
            phases.append(
                Phase.objects.create(
                    enrolment=self, organisation=self.organisation, number=number, planned_start=start, planned_end=end
                )
            )
            start = end + timedelta(days=1)
        return phases

    def schedule_invoices(self) -> list["Invoice"]:
        """One invoice a year for the fee years, each due 30 days after it is scheduled."""
        collaborative = self.collaborative
        invoices = []
        for year in range(1, collaborative.fee_years + 1):
            scheduled = add_months(self.start_date, 12 * (year - 1))
            net = collaborative.annual_fee_pence
            vat = vat_pence(net, collaborative.vat_rate_basis_points)
            invoices.append(
                Invoice.objects.create(
                    enrolment=self,
                    organisation=self.organisation,
                    year=year,
                    scheduled_on=scheduled,
                    due_on=scheduled + timedelta(days=30),
                    net_pence=net,
                    vat_pence=vat,
                    gross_pence=net + vat,
                )
            )
        return invoices


class Phase(models.Model):
    """One of an organisation's three phases, planned and actual."""

    class Number(models.IntegerChoices):
        LOCAL_DESIGN = 1, "Local design"
        TESTING = 2, "Testing and scaling up"
        SUSTAINING = 3, "Sustaining"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="phases")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField(choices=Number.choices)
    planned_start = models.DateField()
    planned_end = models.DateField()
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["enrolment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "number"], name="one_phase_per_number"),
            models.CheckConstraint(condition=Q(planned_end__gte=F("planned_start")), name="phase_planned_in_order"),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True) | Q(actual_end__gte=F("actual_start")),
                name="phase_actual_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.get_number_display()

    @property
    def is_current(self) -> bool:
        return self.actual_start is not None and self.actual_end is None

    def is_overrunning(self, today: date) -> bool:
        return self.is_current and self.planned_end < today

    def progress(self, today: date) -> int:
        """Per cent of the planned duration elapsed (may pass 100 when overrunning)."""
        if self.actual_start is None:
            return 0
        end = self.actual_end or today
        planned_days = max((self.planned_end - (self.actual_start or self.planned_start)).days, 1)
        return max(0, round(100 * (end - self.actual_start).days / planned_days))


class PhaseEvent(models.Model):
    """The history of an organisation's phases: starts, extensions, gates passed."""

    class Kind(models.TextChoices):
        STARTED = "started", "Phase started"
        EXTENDED = "extended", "Phase extended"
        SHORTENED = "shortened", "Phase shortened"
        GATE_PASSED = "gate_passed", "Gate passed"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    on_date = models.DateField(help_text="The date the change takes effect.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = bounded.TextField(blank=True)
    old_end = models.DateField(null=True, blank=True)
    new_end = models.DateField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.phase}"


class GateTick(models.Model):
    """A gate item ticked by hand, with the coach's or national team's note."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="ticks")
    key = bounded.CharField(max_length=40)
    note = bounded.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["phase", "key"], name="one_tick_per_gate_item")]

    def __str__(self) -> str:
        return f"{self.key} ticked"


class TeamMeeting(models.Model):
    """The project team's fortnightly meeting."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(validators=[near_today])
    attendees = bounded.TextField(help_text="Who was there: names or roles, one per line.")
    notes = bounded.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"Team meeting {self.date:%d %b %Y}"


class MeetingAction(models.Model):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(TeamMeeting, on_delete=models.CASCADE, related_name="actions")
    description = bounded.CharField(max_length=300)
    owner = bounded.CharField(max_length=200)
    due_on = models.DateField(validators=[near_today])
    done = models.BooleanField(default=False)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.description


class CoachingSession(models.Model):
    """A coaching session recorded by the coach, visible to the organisation's team."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(validators=[near_today])
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendees = bounded.TextField()
    notes = bounded.TextField()
    agreed_actions = bounded.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"Coaching session {self.date:%d %b %Y}"


class Invoice(models.Model):
    """One year's fee. Amounts in whole pence."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="invoices")
    year = models.PositiveSmallIntegerField()
    scheduled_on = models.DateField()
    issued_on = models.DateField(null=True, blank=True, validators=[near_today])
    due_on = models.DateField(validators=[near_today])
    paid_on = models.DateField(null=True, blank=True, validators=[near_today])
    reference = bounded.CharField(max_length=60, blank=True)
    net_pence = models.PositiveIntegerField()
    vat_pence = models.PositiveIntegerField()
    gross_pence = models.PositiveIntegerField()

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["enrolment", "year"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "year"], name="one_invoice_per_year"),
            models.CheckConstraint(
                condition=Q(gross_pence=F("net_pence") + F("vat_pence")), name="gross_is_net_plus_vat"
            ),
        ]

    def __str__(self) -> str:
        return f"Year {self.year} invoice"

    def clean(self):
        if self.paid_on and not self.issued_on:
            raise ValidationError(
                {"paid_on": "An invoice cannot be paid before it has been issued: add the issue date."}
            )
        if self.paid_on and self.issued_on and self.paid_on < self.issued_on:
            raise ValidationError({"paid_on": "The paid date cannot be before the issue date."})
        if self.issued_on and self.due_on and self.due_on < self.issued_on:
            raise ValidationError({"due_on": "The due date cannot be before the issue date."})

    def status(self, today: date) -> str:
        if self.paid_on:
            return "paid"
        if not self.issued_on:
            return "scheduled"
        return "overdue" if self.due_on < today else "issued"


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def vat_pence(net_pence: int, rate_basis_points: int) -> int:
    """VAT on a net amount in whole pence, half a penny rounded up. Integers only, never floats."""
    return (net_pence * rate_basis_points + 5_000) // 10_000


class PortfolioVisit(models.Model):
    """When a coach last opened the portfolio, per organisation: what "since you last looked" compares with.

    One row per coach and organisation. Opening the portfolio starts a visit: the
    previous visit (or a later look at the organisation's own pages) becomes the
    `baseline`, and the page counts what changed after it. Opening it again
    within `SAME_VISIT` is the same visit, so going back and forth between the
    portfolio and an organisation keeps the highlights until the coach comes back later.
    """

    SAME_VISIT = timedelta(hours=1)

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    visited_at = models.DateTimeField()
    baseline = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="one_portfolio_visit_per_org")]

    def __str__(self) -> str:
        return f"{self.user_id} looked at {self.organisation_id} on {self.visited_at:%d %b %Y}"


class TeamAsk(models.Model):
    """A risk the team sees, or something it asks of its executive sponsor; the sponsor answers, the team resolves."""

    class Kind(models.TextChoices):
        RISK = "risk", "Risk"
        ASK = "ask", "Ask"

    TEXT_MAX = 500

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("Risk or ask", max_length=10, choices=Kind.choices)
    text = bounded.TextField(
        "What is it?", max_length=TEXT_MAX, help_text="In a sentence or two: what could go wrong, or what you need."
    )
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    answer = bounded.TextField("Your answer", max_length=bounded.NOTE, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None
