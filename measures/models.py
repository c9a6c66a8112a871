"""Measure definitions: an organisation's measurement strategy and the programme's library.

A `Measure` says exactly what is counted (operational definition, numerator and
denominator, or a plain value and its unit), where the data come from, how
often, which way is better, the target, and the equality dimension it is broken
down by with the reference group the gap is measured against. `improvement` is
one of "increase", "decrease", "neutral": the SPC engine takes these strings.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from organisations import text as bounded
from qi_projects import equality


class Kind(models.TextChoices):
    OUTCOME = "outcome", "Outcome"
    PROCESS = "process", "Process"
    BALANCING = "balancing", "Balancing"


class ValueType(models.TextChoices):
    PROPORTION = "proportion", "Proportion (numerator over denominator, as a percentage)"
    RATE = "rate", "Rate (numerator per denominator, for example per 100,000)"
    VALUE = "value", "A plain value or count, with its unit"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class Improvement(models.TextChoices):
    INCREASE = "increase", "Higher is better"
    DECREASE = "decrease", "Lower is better"
    NEUTRAL = "neutral", "Neither (watch for change)"


class MeasureDefinition(models.Model):
    """The fields a measure and a library template share, and their rules."""

    code = bounded.CharField(
        max_length=20, help_text="A short code used in data files, for example OM1 or PM2. Letters, digits, - and _."
    )
    name = bounded.CharField(max_length=200)
    kind = models.CharField("Type", max_length=20, choices=Kind.choices)
    value_type = models.CharField("What is recorded", max_length=20, choices=ValueType.choices)
    operational_definition = bounded.TextField(
        help_text="Exactly what is counted, who is included and excluded, and when, so that anyone would count it "
        "the same way."
    )
    numerator_definition = bounded.TextField(blank=True, help_text="For a proportion or rate: what is counted.")
    denominator_definition = bounded.TextField(blank=True, help_text="For a proportion or rate: out of what.")
    unit = bounded.CharField(
        max_length=40, blank=True, help_text="For a plain value: its unit, for example days or people."
    )
    rate_per = models.PositiveIntegerField(
        null=True, blank=True, help_text="For a rate: per how many, for example 100000."
    )
    value_is_count = models.BooleanField(
        "The value is a count of people or events",
        default=False,
        help_text="For a plain value such as detentions or visits: shown beyond the organisation, it is rounded to "
        "the nearest 5 and hidden under 5, like any count. A proportion or rate has its own counts already.",
    )
    data_source = bounded.CharField(max_length=200, help_text="For example the Mental Health Services Data Set.")
    frequency = models.CharField("Collection frequency", max_length=20, choices=Frequency.choices)
    improvement = models.CharField("Improvement direction", max_length=10, choices=Improvement.choices)
    dimension = bounded.CharField(
        "Broken down by",
        max_length=30,
        blank=True,
        choices=equality.dimension_choices(),
        help_text="The equality dimension whose groups are compared. Leave blank if not broken down.",
    )
    reference_category = bounded.CharField(
        "Reference group",
        max_length=30,
        blank=True,
        help_text="The group the others are compared with, for example White British.",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_proportion(self) -> bool:
        return self.value_type == ValueType.PROPORTION

    @property
    def has_fraction(self) -> bool:
        return self.value_type in (ValueType.PROPORTION, ValueType.RATE)

    @property
    def unit_display(self) -> str:
        if self.value_type == ValueType.PROPORTION:
            return "%"
        if self.value_type == ValueType.RATE:
            return f"per {self.rate_per:,}" if self.rate_per else "rate"
        return self.unit

    @property
    def reference_label(self) -> str:
        if not self.dimension:
            return ""
        return equality.category_label(self.dimension, self.reference_category)

    def clean(self):
        errors: dict[str, list[str]] = {}

        def add(name, message):
            errors.setdefault(name, []).append(message)

        code = (self.code or "").strip()
        if code and not all(ch.isalnum() or ch in "-_" for ch in code):
            add("code", "Use only letters, digits, hyphens and underscores in the code.")
        if not (self.operational_definition or "").strip():
            add("operational_definition", "Say exactly what is counted: the operational definition.")
        self.clean_figures(add)
        self.clean_breakdown(add)
        self.clean_target(add)
        if errors:
            raise ValidationError(errors)

    def clean_figures(self, add) -> None:
        """What a fraction's two halves count, a rate's base, a value's unit."""
        if self.has_fraction:
            if not (self.numerator_definition or "").strip():
                add("numerator_definition", "Say what the numerator counts.")
            if not (self.denominator_definition or "").strip():
                add("denominator_definition", "Say what the denominator counts.")
            if self.value_type == ValueType.RATE and not self.rate_per:
                add("rate_per", "Say per how many the rate is given, for example 100000.")
        elif self.value_type == ValueType.VALUE and not (self.unit or "").strip():
            add("unit", "Give the unit of the value, for example days or people.")

    def clean_breakdown(self, add) -> None:
        """A breakdown by an equality dimension needs a reference group of that dimension."""
        if self.dimension:
            if not self.reference_category:
                add("reference_category", "Choose the reference group the other groups are compared with.")
            elif not equality.is_category(self.dimension, self.reference_category):
                add("reference_category", "The reference group must be one of the groups of the chosen dimension.")
        elif self.reference_category:
            add("reference_category", "A reference group needs a dimension to break the measure down by.")

    def clean_target(self, add) -> None:
        pass


class MeasureTemplate(MeasureDefinition):
    """A suggested measure in the programme library, kept by the national team."""

    collaborative = models.ForeignKey(
        "collaborative.Collaborative", on_delete=models.CASCADE, related_name="measure_library"
    )
    guidance = bounded.TextField(blank=True, help_text="Why and how to use this measure.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["collaborative", "code"], name="unique_library_measure_code"),
        ]

    COPIED_FIELDS = [
        "code",
        "name",
        "kind",
        "value_type",
        "operational_definition",
        "numerator_definition",
        "denominator_definition",
        "unit",
        "rate_per",
        "value_is_count",
        "data_source",
        "frequency",
        "improvement",
        "dimension",
        "reference_category",
    ]

    def as_initial(self) -> dict:
        return {name: getattr(self, name) for name in self.COPIED_FIELDS}


class Measure(MeasureDefinition):
    """One measure of an organisation's improvement project."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="measures")
    project = models.ForeignKey("qi_projects.ImprovementProject", on_delete=models.CASCADE, related_name="measures")
    baseline = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Where the measure stands now, in the same units as the target. For a proportion, a percentage.",
    )
    target = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="The level you aim to reach, in the same units. For a proportion, a percentage.",
    )
    tracks = models.ForeignKey(
        "qi_projects.ChangeTheoryElement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name="Driver or change idea it tracks",
    )
    library_source = models.ForeignKey(
        MeasureTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="unique_measure_code")]

    def clean_target(self, add) -> None:
        if self.target is None:
            return
        if self.is_proportion and not 0 <= self.target <= 100:
            add("target", "A proportion's target is a percentage between 0 and 100.")
        if self.baseline is None:
            return
        if self.is_proportion and not 0 <= self.baseline <= 100:
            add("baseline", "A proportion's baseline is a percentage between 0 and 100.")
            return
        if self.improvement == Improvement.INCREASE and self.target <= self.baseline:
            add(
                "target",
                f"Higher is better for this measure, so the target ({self.target.normalize():f}) must be above "
                f"the baseline ({self.baseline.normalize():f}).",
            )
        elif self.improvement == Improvement.DECREASE and self.target >= self.baseline:
            add(
                "target",
                f"Lower is better for this measure, so the target ({self.target.normalize():f}) must be below "
                f"the baseline ({self.baseline.normalize():f}).",
            )


class ChartType(models.TextChoices):
    AUTO = "auto", "Chosen from the measure (p for proportions, u for rates, XmR for values)"
    P = "p", "p chart (proportions)"
    U = "u", "u chart (rates)"
    XMR = "xmr", "XmR chart (individual values)"
    RUN = "run", "Run chart"


class ChartSettings(models.Model):
    """How a measure is charted: the chart type, baseline and rebase points, rule set."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    measure = models.OneToOneField(Measure, on_delete=models.CASCADE, related_name="chart_settings")
    chart_type = models.CharField(max_length=10, choices=ChartType.choices, default=ChartType.AUTO)
    laney = models.BooleanField(
        "Laney adjustment", default=False, help_text="For p and u charts with very large denominators."
    )
    fix_after = models.PositiveSmallIntegerField(
        "Fix limits after", null=True, blank=True, help_text="Compute each period's limits from its first n points."
    )
    rebase_on = models.JSONField(
        default=list,
        blank=True,
        help_text="Period starts (YYYY-MM-DD) where a new period "
        "with its own mean and limits begins, after a known change.",
    )
    rules = bounded.CharField(
        max_length=20,
        default="mdc",
        choices=[("mdc", "Making Data Count (2023)"), ("mdc-pre2023", "Making Data Count (before 2023)")],
    )

    objects = ScopedManager(organisation="organisation")

    def __str__(self) -> str:
        return f"Chart settings for {self.measure}"


class Rebase(models.Model):
    """A confirmed decision to start new limits at a period, after a sustained shift followed an adopted
    change. Kept with who, when and why; the chart draws the earlier limits for the earlier period."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="rebases")
    period_start = models.DateField()
    reason = bounded.TextField(max_length=bounded.NOTE)
    change = bounded.CharField(max_length=300, blank=True, help_text="The adopted change the shift followed.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["period_start", "pk"]
        constraints = [models.UniqueConstraint(fields=["measure", "period_start"], name="one_rebase_per_period")]

    def __str__(self) -> str:
        return f"{self.measure_id} rebased at {self.period_start}"


class DataPointQuerySet(models.QuerySet):
    def series(self, measure, stratum: str = "all"):
        return self.filter(measure=measure, stratum=stratum).order_by("period_start")


class DataPoint(models.Model):
    """One measure's figure for one period and one stratum ('all' or 'dimension:category').

    A missing period has no row: it is a gap, never a zero.
    """

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="data_points")
    period_start = models.DateField()
    stratum = bounded.CharField(max_length=40, default="all")
    numerator = models.BigIntegerField(null=True, blank=True)
    denominator = models.BigIntegerField(null=True, blank=True)
    value = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = bounded.CharField(max_length=20, default="grid")

    objects = ScopedManager(organisation="organisation", _manager_class=models.Manager.from_queryset(DataPointQuerySet))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measure", "period_start", "stratum"], name="one_point_per_period_stratum"),
            models.CheckConstraint(
                condition=models.Q(numerator__isnull=True) | models.Q(numerator__gte=0), name="numerator_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(denominator__isnull=True) | models.Q(denominator__gt=0),
                name="denominator_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["measure", "stratum", "period_start"]),
            # The portfolio's and the board's cache fingerprint (collaborative/summary_cache.py) probes
            # each organisation's latest save and highest id: one index step each, not a scan of its figures.
            models.Index(fields=["organisation", "updated_at"], name="datapoint_org_updated"),
            models.Index(fields=["organisation", "id"], name="datapoint_org_id"),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} {self.period_start} {self.stratum}"

    @property
    def figure(self) -> float | None:
        """The plotted number: a proportion as a fraction, a rate per 1, or the value."""
        if self.value is not None:
            return float(self.value)
        if self.numerator is not None and self.denominator:
            return self.numerator / self.denominator
        return None


class DataPointRevision(models.Model):
    """Every change to a data point: who entered what, when, and what it replaced. Append-only."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    stratum = bounded.CharField(max_length=40)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=20)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["measure", "period_start", "stratum"]),
            models.Index(fields=["organisation", "at"], name="revision_org_at"),  # the cache fingerprint's probe
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} {self.period_start} {self.stratum} at {self.at}"


def point_payload(numerator, denominator, value) -> dict:
    return {"numerator": numerator, "denominator": denominator, "value": None if value is None else str(value)}
