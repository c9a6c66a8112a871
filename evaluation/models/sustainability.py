"""Sustaining the gains: a project's NHS Sustainability Model self-assessments and its sustainability plan.

An assessment is taken twice, at the start and at the end of phase 3 (`round`),
one row per project and round. Its answers are the level letter the team chose
for each factor (`evaluation.sustainability_model`); an assessment with any factor
unanswered is a draft and carries no score, a complete one is scored (`total`
stored so lists and the evaluator package need not work it out again).

The plan says who owns sustaining the work, how each adopted change idea is
embedded in routine work (`PlanChange`, one per idea), which measures keep being
watched and by whom, and to whom and from when data collection is handed over.
It also carries the team's reflections for the end-of-programme report.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from organisations import text as bounded
from organisations.dates import near_today

from .. import sustainability_model as model


class AssessmentRound(models.TextChoices):
    START = "start", "Start of phase 3"
    END = "end", "End of phase 3"


class SustainabilityAssessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft, not scored"
        SCORED = "scored", "Scored"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "qi_projects.ImprovementProject", on_delete=models.CASCADE, related_name="sustainability_assessments"
    )
    round = models.CharField(max_length=10, choices=AssessmentRound.choices)
    answers = models.JSONField(default=dict, blank=True)  # factor key -> level letter
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    notes = bounded.TextField("Notes on how you scored", blank=True, max_length=bounded.NOTE)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["project_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["project", "round"], name="unique_sustainability_round"),
            models.CheckConstraint(
                condition=models.Q(status="draft", total__isnull=True) | models.Q(status="scored", total__isnull=False),
                name="sustainability_scored_has_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_round_display()}: {self.get_status_display()}"

    @property
    def score(self) -> model.Score:
        return model.score(self.answers)

    def record(self, answers: dict[str, str], *, notes: str = "", by) -> model.Score:
        """Save the answers given (unanswered factors left out); scored when all ten are answered."""
        self.answers = {k: v for k, v in answers.items() if k in model.BY_KEY and v in model.LEVELS}
        self.notes = notes
        result = model.score(self.answers)
        now = timezone.now()
        if result.complete:
            self.status, self.total = self.Status.SCORED, result.total
            self.scored_at = self.scored_at or now
        else:
            self.status, self.total, self.scored_at = self.Status.DRAFT, None, None
        self.updated_at, self.updated_by = now, by
        self.save()
        return result


class SustainabilityPlan(models.Model):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.OneToOneField(
        "qi_projects.ImprovementProject", on_delete=models.CASCADE, related_name="sustainability_plan"
    )
    owners = bounded.CharField(
        "Who owns sustaining the improvement",
        max_length=300,
        blank=True,
        help_text="Names or roles, for example “Ward manager, Oak ward; service lead for community teams”.",
    )
    watched_measures = models.ManyToManyField(
        "measures.Measure", blank=True, related_name="+", verbose_name="Measures that keep being watched"
    )
    watchers = bounded.CharField(
        "Who watches them",
        max_length=300,
        blank=True,
        help_text="Who looks at the charts, and where: for example “the data champion, at the monthly "
        "quality meeting”.",
    )
    handover_to = bounded.CharField(
        "Data collection handed over to",
        max_length=200,
        blank=True,
        help_text="The team or role that collects the data once the project ends.",
    )
    handover_from = models.DateField("Handed over from", null=True, blank=True, validators=[near_today])
    reflections = bounded.TextField(
        "The team's reflections",
        blank=True,
        help_text="What you learned, what you would do differently, and what you are proudest of. "
        "Shown in the end-of-programme report.",
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(organisation="organisation")

    def __str__(self) -> str:
        return f"Sustainability plan of {self.project}"


class PlanChange(models.Model):
    """How one adopted change idea is embedded in routine work, and who owns it."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(SustainabilityPlan, on_delete=models.CASCADE, related_name="changes")
    change_idea = models.ForeignKey("qi_projects.ChangeTheoryElement", on_delete=models.CASCADE, related_name="+")
    embedding = bounded.TextField(
        "How it is embedded in routine work",
        blank=True,
        max_length=bounded.NOTE,
        help_text="For example a standard operating procedure, a template in the record, induction training.",
    )
    owner = bounded.CharField("Owner", max_length=200, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["change_idea__position", "change_idea_id"]
        constraints = [models.UniqueConstraint(fields=["plan", "change_idea"], name="unique_plan_change")]

    def __str__(self) -> str:
        return f"{self.change_idea}: {self.owner}"

    @property
    def complete(self) -> bool:
        return bool(self.embedding.strip() and self.owner.strip())
