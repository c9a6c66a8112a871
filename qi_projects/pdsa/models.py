"""Testing and scaling up: change idea lifecycle, PDSA cycles and ramps, comments,
attachments, drafts and progress score overrides.

Builds on local design (`qi_projects`: projects and change theories) and on
measure definitions (`measures`); nothing below imports this app. See
docs/architecture.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django_scopes import ScopedManager

from organisations import text as bounded
from organisations.dates import near_today
from qi_projects.models import STAGE_MOVES, ChangeTheory, ChangeTheoryElement, ImprovementProject, Kind, Stage

# --- Testing and scaling up: change idea lifecycle, PDSA cycles, feedback -------------
#
# A change idea is a ChangeTheoryElement of kind "change_idea"; its lifecycle stage
# lives on the element (`stage`), and every move is kept with the evidence that
# justified it (ChangeIdeaMove). PDSA cycles always belong to one change idea; the
# cycles of an idea form its ramp, numbered 1, 2, 3... in the order they were logged.


class Comment(models.Model):
    """A comment from a coach, expert, partner or the team on a change theory, measure, PDSA cycle or change idea."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    change_theory = models.ForeignKey(
        ChangeTheory, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    cycle = models.ForeignKey("PdsaCycle", on_delete=models.CASCADE, null=True, blank=True, related_name="comments")
    change_idea = models.ForeignKey(
        ChangeTheoryElement, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = bounded.TextField("Comment", max_length=bounded.COMMENT)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class ChangeIdeaMove(models.Model):
    """One move of a change idea through its lifecycle, with the evidence for it. Append-only."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    change_idea = models.ForeignKey(ChangeTheoryElement, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    evidence = bounded.TextField()
    cycles = models.ManyToManyField("PdsaCycle", blank=True, related_name="+")
    measures = models.ManyToManyField("measures.Measure", blank=True, related_name="+")
    spreading_to = bounded.TextField(blank=True)
    spread_target = bounded.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.change_idea_id}: {self.from_stage} → {self.to_stage}"

    @staticmethod
    def check_stage_move(idea, stage: str) -> None:
        """Refuse a move the lifecycle does not allow (STAGE_MOVES)."""
        if idea.kind != Kind.CHANGE_IDEA:
            raise ValidationError("Only a change idea has a lifecycle.")
        if stage not in Stage.values:
            raise ValidationError("Choose a stage.")
        if stage == idea.stage:
            raise ValidationError(f"“{idea.text}” is already at the {Stage(stage).label.lower()} stage.")
        if stage not in STAGE_MOVES[idea.stage]:
            allowed = ", ".join(Stage(s).label.lower() for s in STAGE_MOVES[idea.stage])
            raise ValidationError(
                f"A change idea at the {Stage(idea.stage).label.lower()} stage can move to: {allowed}; "
                f"not straight to {Stage(stage).label.lower()}."
            )

    @staticmethod
    def evidence_problems(idea, stage, evidence, cycles, spreading_to, spread_target) -> dict[str, list[str]]:
        """What is missing from the evidence for a move, by field."""
        errors: dict[str, list[str]] = {}
        if not evidence:
            errors["evidence"] = ["Say what justified this move: what the cycles showed, which measures moved."]
        if any(c.change_idea_id != idea.pk for c in cycles):
            errors.setdefault("cycles", []).append("Choose cycles of this change idea only.")
        if stage == Stage.ADOPTED and not any(c.status == PdsaCycle.Status.COMPLETED for c in cycles):
            errors.setdefault("cycles", []).append(
                "Adopting a change needs at least one completed PDSA cycle as evidence: choose it."
            )
        if stage == Stage.SPREADING and not spreading_to:
            errors["spreading_to"] = ["Name the teams or sites the change is spreading to."]
        if stage == Stage.SPREADING and not spread_target:
            errors["spread_target"] = ["Give the spread target, for example all 6 teams by March."]
        return errors

    @classmethod
    def record(
        cls, idea, stage: str, *, by, evidence: str, cycles=(), measures=(), spreading_to="", spread_target="", at=None
    ) -> ChangeIdeaMove:
        """Move `idea` to `stage`, recording who, when and the evidence. ValidationError when not allowed."""
        cls.check_stage_move(idea, stage)
        evidence = (evidence or "").strip()
        cycles = list(cycles)
        spreading_to = (spreading_to or "").strip()
        spread_target = (spread_target or "").strip()
        errors = cls.evidence_problems(idea, stage, evidence, cycles, spreading_to, spread_target)
        if errors:
            raise ValidationError(errors)
        at = at or timezone.now()
        with transaction.atomic():
            move = cls.objects.create(
                organisation_id=idea.organisation_id,
                change_idea=idea,
                from_stage=idea.stage,
                to_stage=stage,
                evidence=evidence,
                spreading_to=spreading_to,
                spread_target=spread_target,
                by=by,
                at=at,
            )
            if cycles:
                move.cycles.set(cycles)
            if measures:
                move.measures.set(list(measures))
            idea.stage = stage
            idea.stage_changed_at = at
            if stage == Stage.SPREADING:
                idea.spreading_to, idea.spread_target = spreading_to, spread_target
            type(idea)._base_manager.filter(pk=idea.pk).update(
                stage=idea.stage,
                stage_changed_at=at,
                spreading_to=idea.spreading_to,
                spread_target=idea.spread_target,
            )
        return move


class PdsaCycleQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=PdsaCycle.Status.COMPLETED)


class PdsaCycle(models.Model):
    """One Plan-Do-Study-Act cycle testing a change idea.

    The status follows the stages: planned (Plan written), doing (Do started),
    studying (Study written, which needs the Do finished), completed (Act
    decided). The prediction is frozen once Do starts: it is what the team
    expected before the test, and changing it afterwards would defeat it.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        DOING = "doing", "Doing"
        STUDYING = "studying", "Studying"
        COMPLETED = "completed", "Completed"

    class Decision(models.TextChoices):
        ADOPT = "adopt", "Adopt"
        ADAPT = "adapt", "Adapt"
        ABANDON = "abandon", "Abandon"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="pdsa_cycles")
    change_idea = models.ForeignKey(ChangeTheoryElement, on_delete=models.CASCADE, related_name="pdsa_cycles")
    number = models.PositiveIntegerField(help_text="The cycle's place in its change idea's ramp: 1, 2, 3...")
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_cycles",
        help_text="The cycle this one follows on from in the ramp.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)

    # Plan
    objective = bounded.CharField(max_length=300, help_text="What this cycle tests, in one sentence.")
    questions = bounded.TextField("Questions", blank=True, help_text="What you want to find out.")
    prediction = bounded.TextField(
        help_text="What you expect to happen, stated before the test. It cannot be changed once Do starts."
    )
    who = bounded.CharField("Who", max_length=300, blank=True)
    where = bounded.CharField("Where", max_length=300, blank=True)
    planned_start = models.DateField("Planned start", validators=[near_today])
    planned_end = models.DateField("Planned end", validators=[near_today])
    data_collection = bounded.TextField("Data to collect", blank=True, help_text="What data you will collect, how.")
    measures = models.ManyToManyField("measures.Measure", blank=True, related_name="pdsa_cycles")

    # Do
    what_was_done = bounded.TextField("What was done", blank=True)
    what_happened = bounded.TextField("What happened", blank=True)
    problems = bounded.TextField("Problems and unexpected observations", blank=True)
    actual_start = models.DateField("Actual start", null=True, blank=True, validators=[near_today])
    actual_end = models.DateField("Actual end", null=True, blank=True, validators=[near_today])

    # Study
    results = bounded.TextField("Results compared with the prediction", blank=True)
    learning = bounded.TextField("What we learned", blank=True)

    # Act
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    next_step = bounded.TextField("Next step", blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation", _manager_class=models.Manager.from_queryset(PdsaCycleQuerySet))

    class Meta:
        ordering = ["change_idea", "number"]
        constraints = [
            models.UniqueConstraint(fields=["change_idea", "number"], name="unique_cycle_number_per_idea"),
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=F("planned_start")),
                name="pdsa_planned_in_order",
                violation_error_message="The planned end must be on or after the planned start.",
            ),
            models.CheckConstraint(
                condition=models.Q(actual_end__isnull=True) | models.Q(actual_end__gte=F("actual_start")),
                name="pdsa_actual_in_order",
                violation_error_message="The actual end must be on or after the actual start.",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"Cycle {self.number}: {self.objective}"

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._saved_prediction = instance.__dict__.get("prediction")
        instance._saved_status = instance.__dict__.get("status")
        return instance

    # --- rules ------------------------------------------------------------------

    @property
    def prediction_frozen(self) -> bool:
        return getattr(self, "_saved_status", self.status) != self.Status.PLANNED and not self._state.adding

    @property
    def start_date(self):
        return self.actual_start or self.planned_start

    @property
    def do_finished(self) -> bool:
        return bool(self.actual_start and self.actual_end and self.what_happened.strip())

    @property
    def title(self) -> str:
        return f"Cycle {self.number}: {self.objective}"

    def clean(self):
        errors: dict[str, list[str]] = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors.setdefault("planned_end", []).append("The planned end must be on or after the planned start.")
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            errors.setdefault("actual_end", []).append("The actual end must be on or after the actual start.")
        if self.actual_end and not self.actual_start:
            errors.setdefault("actual_start", []).append("Give the actual start as well as the end.")
        today = timezone.localdate()
        for name in ("actual_start", "actual_end"):
            value = getattr(self, name)
            if value and value > today:
                errors.setdefault(name, []).append(
                    "Actual dates are when it happened: today or earlier. Change the planned dates for the future."
                )
        if self.prediction_frozen and self.prediction != getattr(self, "_saved_prediction", self.prediction):
            errors.setdefault("prediction", []).append(
                "The prediction is frozen: it was recorded before the test and cannot be changed once Do has "
                "started. Write what you now expect in Study, or plan a new cycle."
            )
        if self.change_idea_id and getattr(self.change_idea, "kind", Kind.CHANGE_IDEA) != Kind.CHANGE_IDEA:
            errors.setdefault("change_idea", []).append("A PDSA cycle tests a change idea, not a driver.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # The safety net under the forms: a frozen prediction never changes, whatever the caller.
        if self.prediction_frozen and self.prediction != getattr(self, "_saved_prediction", self.prediction):
            raise ValidationError({"prediction": "The prediction is frozen once Do has started and cannot be changed."})
        if self.change_idea_id and not self.project_id:
            self.project_id = self.change_idea.diagram.project_id
        self.updated_at = timezone.now()
        super().save(*args, **kwargs)
        self._saved_prediction = self.prediction
        self._saved_status = self.status

    @classmethod
    @transaction.atomic
    def log(cls, *, change_idea, by, measures=(), previous=None, **fields) -> PdsaCycle:
        """A new cycle, numbered next in the change idea's ramp. An untested idea moves to testing."""
        idea = ChangeTheoryElement._base_manager.select_for_update().select_related("diagram").get(pk=change_idea.pk)
        cycle = cls(
            organisation_id=idea.organisation_id,
            project_id=idea.diagram.project_id,
            change_idea=idea,
            previous=previous,
            created_by=by,
            **fields,
        )
        top = cls._base_manager.filter(change_idea=idea).aggregate(m=Max("number"))["m"] or 0
        cycle.number = top + 1
        cycle.full_clean(exclude=["number", "project"])
        cycle.save()
        if measures:
            cycle.measures.set(list(measures))
        if idea.stage in (Stage.IDEA, Stage.ABANDONED):
            ChangeIdeaMove.record(
                idea,
                Stage.TESTING,
                by=by,
                evidence=f"PDSA cycle {cycle.number} logged: {cycle.objective}",
                cycles=[cycle],
            )
        change_idea.stage = idea.stage
        return cycle

    def _save_checked(self, fields: list[str]) -> None:
        self.full_clean(exclude=["number", "project", "change_idea", "previous"])
        self.save(update_fields=[*fields, "status", "updated_at"])

    def record_do(self, *, actual_start, actual_end=None, what_was_done="", what_happened="", problems="") -> None:
        """Start or update the Do stage. From here on the prediction is frozen."""
        if self.status not in (self.Status.PLANNED, self.Status.DOING):
            raise ValidationError(
                "The Do stage is closed: this cycle has moved on to "
                f"{self.get_status_display().lower()}. Add what you noticed later in Study or in a comment."
            )
        if not actual_start:
            raise ValidationError({"actual_start": "Give the date the test actually started."})
        self.actual_start, self.actual_end = actual_start, actual_end
        self.what_was_done, self.what_happened, self.problems = what_was_done, what_happened, problems
        self.status = self.Status.DOING
        self._save_checked(["actual_start", "actual_end", "what_was_done", "what_happened", "problems"])

    def record_study(self, *, results, learning) -> None:
        if self.status == self.Status.PLANNED or (self.status == self.Status.DOING and not self.do_finished):
            raise ValidationError(
                "This cycle cannot be studied before it is done: record in Do what happened and the actual "
                "start and end dates first."
            )
        if self.status == self.Status.COMPLETED:
            raise ValidationError("This cycle is completed: its Study is kept as it was. Comment instead.")
        errors = {}
        if not (results or "").strip():
            errors["results"] = "Compare the results with the prediction."
        if not (learning or "").strip():
            errors["learning"] = "Say what you learned."
        if errors:
            raise ValidationError(errors)
        self.results, self.learning = results, learning
        self.status = self.Status.STUDYING
        self._save_checked(["results", "learning"])

    def complete(self, *, decision, next_step="") -> None:
        if self.status == self.Status.COMPLETED:
            raise ValidationError("This cycle is already completed.")
        if self.status != self.Status.STUDYING:
            raise ValidationError("Study the cycle before deciding: compare the results with the prediction first.")
        if decision not in self.Decision.values:
            raise ValidationError(
                {
                    "decision": "Choose whether to adopt, adapt or abandon the change: the cycle cannot be "
                    "completed without an Act decision."
                }
            )
        self.decision, self.next_step = decision, next_step
        self.status = self.Status.COMPLETED
        self.completed_at = timezone.now()
        self._save_checked(["decision", "next_step", "completed_at"])

    def next_cycle_initial(self) -> dict:
        """What the next cycle of the ramp starts with: this one's plan, moved on by its next step."""
        return {
            "change_idea": self.change_idea_id,
            "objective": (self.next_step.strip().splitlines() or [self.objective])[0][:300],
            "questions": self.questions,
            "prediction": "",
            "who": self.who,
            "where": self.where,
            "data_collection": self.data_collection,
            "measures": [m.pk for m in self.measures.all()],
        }

    @property
    def outcome(self) -> str:
        if self.status == self.Status.COMPLETED:
            text = self.get_decision_display()
            if self.next_step:
                text += f": {self.next_step}"
            return text
        return self.get_status_display()


def pdsa_upload_to(instance, filename: str) -> str:
    import secrets

    # The stored name is random: the person's file name is kept only in `name`.
    return f"pdsa/{instance.organisation_id}/{instance.cycle_id}/{secrets.token_urlsafe(18)}"


class PdsaAttachment(models.Model):
    """A photo of a whiteboard or a small document, kept with a cycle. Downloaded, never shown inline."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(PdsaCycle, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=pdsa_upload_to, max_length=300)
    name = bounded.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class PdsaDraft(models.Model):
    """What someone has typed into a PDSA form but not yet submitted, saved as they type."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = bounded.CharField(max_length=60)  # "new", "new-after-<cycle>", "cycle-<cycle>-<stage>"
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user", "key"], name="one_draft_per_form")]

    def __str__(self) -> str:
        return f"Draft {self.key} of {self.user_id}"


class ProgressScore(models.Model):
    """An override of the suggested IHI progress score, with who, when, why. The latest one counts."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="progress_scores")
    score = models.DecimalField(max_digits=2, decimal_places=1)
    suggested = models.DecimalField(
        max_digits=2, decimal_places=1, help_text="The suggestion at the time, to tell when it has moved on."
    )
    reason = bounded.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.score} ({self.project_id})"
