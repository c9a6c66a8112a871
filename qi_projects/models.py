"""Local design: improvement projects, focus populations, population profiles,
change theories (driver diagrams) with lineage and versions, the coproduction
log and comments.

Driver diagrams exist at two levels that share one implementation: the
programme-level change theory of a collaborative (kept by the national team)
and each project's local change theory, which starts as a copy of it. Every
local element remembers the programme element it came from (`source`, null when
it is new locally) and whether it was `adapted`; removing an element is a soft
delete (`removed_at`), so a programme element an organisation removed is
"dropped" rather than forgotten.

Every edit goes through `Diagram.edit()`, which claims the next version number
with a conditional UPDATE (so a second edit based on the same version is told
the diagram changed instead of overwriting it) and appends a snapshot of the
whole diagram, with who and when, to the diagram's version history.
"""

from __future__ import annotations

from datetime import datetime, time
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django_scopes import ScopedManager

from . import equality


class DiagramChanged(Exception):
    """The diagram was changed by someone else after the editor loaded it."""

    def __init__(self, current_version: int):
        super().__init__(current_version)
        self.current_version = current_version

    def __str__(self) -> str:
        return (
            "Someone else changed this driver diagram while you were editing it "
            f"(it is now at version {self.current_version}). Your change was not saved: "
            "check the diagram as it is now and make your change again."
        )


class Kind(models.TextChoices):
    PRIMARY = "primary", "Primary driver"
    SECONDARY = "secondary", "Secondary driver"
    CHANGE_IDEA = "change_idea", "Change idea"


PARENT_KIND = {Kind.PRIMARY: None, Kind.SECONDARY: Kind.PRIMARY, Kind.CHANGE_IDEA: Kind.SECONDARY}
CHILD_NOUN = {Kind.PRIMARY: "secondary driver", Kind.SECONDARY: "change idea"}


class Stage(models.TextChoices):
    IDEA = "idea", "Idea"
    TESTING = "testing", "Testing"
    ADOPTED = "adopted", "Adopted"
    SPREADING = "spreading", "Spreading"
    SUSTAINED = "sustained", "Sustained"
    ABANDONED = "abandoned", "Abandoned"


# Where a change idea may move from each stage. Abandoned ideas can be revived.
STAGE_MOVES: dict[str, list[str]] = {
    Stage.IDEA: [Stage.TESTING, Stage.ABANDONED],
    Stage.TESTING: [Stage.ADOPTED, Stage.ABANDONED, Stage.IDEA],
    Stage.ADOPTED: [Stage.SPREADING, Stage.SUSTAINED, Stage.TESTING, Stage.ABANDONED],
    Stage.SPREADING: [Stage.SUSTAINED, Stage.ADOPTED, Stage.ABANDONED],
    Stage.SUSTAINED: [Stage.SPREADING, Stage.TESTING, Stage.ABANDONED],
    Stage.ABANDONED: [Stage.IDEA, Stage.TESTING],
}


class ElementBase(models.Model):
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class VersionBase(models.Model):
    """One saved state of a diagram: append-only."""

    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=300)
    snapshot = models.JSONField()

    class Meta:
        abstract = True
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Version {self.number}: {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Diagram versions cannot be changed.")
        super().save(*args, **kwargs)

    def tree(self):
        return snapshot_tree(self.snapshot)


class Diagram(models.Model):
    """What the programme and local change theories share: an aim, elements, versions."""

    aim = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    # --- reading -------------------------------------------------------------

    def live_elements(self) -> list:
        return list(self.elements.filter(removed_at=None).order_by("position", "pk"))

    def snapshot(self) -> dict:
        return {
            "aim": self.aim,
            "elements": [
                {
                    "id": e.pk,
                    "kind": e.kind,
                    "parent": e.parent_id,
                    "text": e.text,
                    "description": e.description,
                    "position": e.position,
                    "source": getattr(e, "source_id", None),
                    "adapted": getattr(e, "adapted", False),
                }
                for e in self.live_elements()
            ],
        }

    def version_on(self, day):
        """The diagram as it was at the end of `day` (a date), or None before it existed."""
        end = timezone.make_aware(datetime.combine(day, time.max))
        return self.versions.filter(created_at__lte=end).order_by("-number").first()

    # --- editing -------------------------------------------------------------

    def element_defaults(self) -> dict:
        return {}

    def version_defaults(self) -> dict:
        return {}

    @transaction.atomic
    def edit(self, change, *args, by, based_on: int, **kwargs) -> str:
        """Apply `change(*args, **kwargs)` (one of the `_`-methods below) as a new version.

        Raises DiagramChanged when the diagram is no longer at `based_on`, and
        ValidationError (nothing saved) when the change is not allowed.
        """
        claimed = (
            type(self)
            ._base_manager.filter(pk=self.pk, version=based_on)
            .update(version=F("version") + 1, updated_at=timezone.now())
        )
        if not claimed:
            current = type(self)._base_manager.filter(pk=self.pk).values_list("version", flat=True).first()
            raise DiagramChanged(current or 0)
        self.version = based_on + 1
        try:
            summary = change(*args, **kwargs)
        except Exception:
            self.version = based_on
            raise
        self.record_version(by, summary)
        return summary

    def record_version(self, by, summary: str):
        return self.versions.create(
            number=self.version,
            created_by=by,
            summary=summary[:300],
            snapshot=self.snapshot(),
            **self.version_defaults(),
        )

    def _check_parent(self, kind: str, parent) -> None:
        wanted = PARENT_KIND[kind]
        if wanted is None:
            if parent is not None:
                raise ValidationError("A primary driver sits directly under the aim.")
            return
        if parent is None or parent.kind != wanted or parent.is_removed or parent.diagram_id != self.pk:
            noun = Kind(wanted).label.lower()
            raise ValidationError(f"Choose the {noun} this {Kind(kind).label.lower()} belongs to.")

    def _next_position(self, parent) -> int:
        top = self.elements.filter(parent=parent, removed_at=None).aggregate(m=Max("position"))["m"]
        return 0 if top is None else top + 1

    def _set_aim(self, aim: str) -> str:
        aim = aim.strip()
        if not aim:
            raise ValidationError("Enter the aim.")
        type(self)._base_manager.filter(pk=self.pk).update(aim=aim)
        self.aim = aim
        return "Changed the aim"

    def _add(self, kind: str, text: str, description: str = "", parent=None, **extra) -> str:
        text = text.strip()
        if not text:
            raise ValidationError(f"Enter the {Kind(kind).label.lower()}.")
        self._check_parent(kind, parent)
        element = self.elements.create(
            kind=kind,
            parent=parent,
            text=text,
            description=description.strip(),
            position=self._next_position(parent),
            **self.element_defaults(),
            **extra,
        )
        self._last_element = element
        return f"Added {Kind(kind).label.lower()} “{text}”"

    def _update(self, element, text: str, description: str = "") -> str:
        text = text.strip()
        if not text:
            raise ValidationError(f"Enter the {element.get_kind_display().lower()}.")
        old = element.text
        element.text = text
        element.description = description.strip()
        fields = ["text", "description"]
        source = getattr(element, "source", None)
        if source is not None:
            element.adapted = (element.text, element.description) != (source.text, source.description)
            fields.append("adapted")
        element.save(update_fields=fields)
        if old != text:
            return f"Changed {element.get_kind_display().lower()} “{old}” to “{text}”"
        return f"Changed the description of “{text}”"

    def _move(self, element, parent) -> str:
        if element.kind == Kind.PRIMARY:
            raise ValidationError("A primary driver sits directly under the aim and cannot be moved to another driver.")
        self._check_parent(element.kind, parent)
        if parent.pk == element.parent_id:
            raise ValidationError(f"“{element.text}” is already under “{parent.text}”.")
        element.parent = parent
        element.position = self._next_position(parent)
        element.save(update_fields=["parent", "position"])
        return f"Moved “{element.text}” under “{parent.text}”"

    def _shift(self, element, delta: int) -> str:
        siblings = list(
            self.elements.filter(parent_id=element.parent_id, kind=element.kind, removed_at=None).order_by(
                "position", "pk"
            )
        )
        index = next(i for i, s in enumerate(siblings) if s.pk == element.pk)
        target = index + delta
        if not 0 <= target < len(siblings):
            raise ValidationError(f"“{element.text}” is already {'first' if delta < 0 else 'last'}.")
        siblings.insert(target, siblings.pop(index))
        for position, sibling in enumerate(siblings):
            if sibling.position != position:
                type(sibling)._base_manager.filter(pk=sibling.pk).update(position=position)
        return f"Moved “{element.text}” {'up' if delta < 0 else 'down'}"

    def _remove(self, element) -> str:
        children = element.children.filter(removed_at=None).count()
        if children:
            noun = CHILD_NOUN[element.kind] + ("s" if children > 1 else "")
            raise ValidationError(
                f"“{element.text}” still has {children} {noun}. Move or remove "
                f"{'them' if children > 1 else 'it'} first, so that nothing is left without a driver."
            )
        element.removed_at = timezone.now()
        element.save(update_fields=["removed_at"])
        return f"Removed {element.get_kind_display().lower()} “{element.text}”"


def snapshot_tree(snapshot: dict) -> SimpleNamespace:
    """A snapshot (or live diagram) as a tree: `.aim` and `.primaries[...].children[...].children`."""
    nodes = {e["id"]: SimpleNamespace(**e, children=[]) for e in snapshot.get("elements", [])}
    roots = []
    for node in sorted(nodes.values(), key=lambda n: (n.position, n.id)):
        parent = nodes.get(node.parent)
        (parent.children if parent else roots).append(node)
    return SimpleNamespace(aim=snapshot.get("aim", ""), primaries=[n for n in roots if n.kind == Kind.PRIMARY])


# --- The programme level ---------------------------------------------------------


class ProgrammeChangeTheory(Diagram):
    """The collaborative's change theory, maintained by the national team."""

    collaborative = models.OneToOneField(
        "collaborative.Collaborative", on_delete=models.CASCADE, related_name="change_theory"
    )

    class Meta:
        verbose_name_plural = "programme change theories"

    def __str__(self) -> str:
        return f"Change theory of {self.collaborative}"

    @classmethod
    def for_collaborative(cls, collaborative) -> ProgrammeChangeTheory:
        theory, _ = cls.objects.get_or_create(collaborative=collaborative)
        return theory


class ProgrammeElement(ElementBase):
    diagram = models.ForeignKey(ProgrammeChangeTheory, on_delete=models.CASCADE, related_name="elements")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")

    class Meta(ElementBase.Meta):
        pass


class ProgrammeChangeTheoryVersion(VersionBase):
    diagram = models.ForeignKey(ProgrammeChangeTheory, on_delete=models.CASCADE, related_name="versions")

    class Meta(VersionBase.Meta):
        constraints = [models.UniqueConstraint(fields=["diagram", "number"], name="unique_programme_theory_version")]


# --- The organisation level ------------------------------------------------------


class ImprovementProject(models.Model):
    """One improvement project of an organisation (an organisation may run several)."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(max_length=200)
    aim = models.TextField(
        "SMART aim",
        help_text="Specific, measurable, achievable, relevant and time-bound: what will improve, for whom, "
        "by how much and by when.",
    )
    target_value = models.DecimalField("Target", max_digits=12, decimal_places=2)
    target_unit = models.CharField("Unit of the target", max_length=40, help_text="For example %, days or people.")
    target_date = models.DateField("Target date")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def target_display(self) -> str:
        value = f"{self.target_value.normalize():f}"
        unit = self.target_unit
        return f"{value}{unit}" if unit == "%" else f"{value} {unit}"


class FocusPopulation(models.Model):
    """A group facing inequality that a project focuses on.

    `groups` lists strata (`"ethnicity:M"`): categories of one dimension are
    alternatives (M or N), categories of different dimensions narrow the group
    (Black Caribbean or African AND aged 18 to 24). A described local group
    (`local_description`) can stand alone or narrow a coded one.
    """

    class Inequality(models.TextChoices):
        ACCESS = "access", "Access"
        EXPERIENCE = "experience", "Experience"
        OUTCOMES = "outcomes", "Outcomes"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="focus_populations")
    name = models.CharField(max_length=200, help_text="How you describe the group, for example “Young Black men”.")
    groups = models.JSONField(default=list, blank=True)
    local_description = models.TextField(blank=True)
    inequality = models.CharField("Type of inequality", max_length=20, choices=Inequality.choices)
    evidence = models.TextField(help_text="What shows this group faces the worst inequality: data, voices, reports.")
    reference_group = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = {}
        for stratum in self.groups or []:
            try:
                equality.parse_stratum(stratum)
            except ValueError as e:
                errors.setdefault("groups", []).append(str(e))
        if not self.groups and not self.local_description.strip():
            errors.setdefault("groups", []).append(
                "Choose at least one group on an equality dimension, or describe a local group."
            )
        if self.reference_group and self.reference_group != equality.REST_OF_POPULATION:
            try:
                equality.parse_stratum(self.reference_group)
            except ValueError as e:
                errors["reference_group"] = str(e)
        if errors:
            raise ValidationError(errors)

    @property
    def dimensions(self) -> list[str]:
        seen = []
        for stratum in self.groups:
            d = stratum.split(":", 1)[0]
            if d not in seen:
                seen.append(d)
        return seen

    def group_labels(self) -> list[str]:
        labels = [equality.stratum_label(s) for s in self.groups]
        if self.local_description:
            labels.append(self.local_description)
        return labels

    @property
    def reference_label(self) -> str:
        return equality.stratum_label(self.reference_group)


class PopulationProfile(models.Model):
    """The make-up of the local population and of the caseload, by one equality dimension."""

    class Compared(models.TextChoices):
        CASELOAD = "caseload", "Caseload"
        REFERRALS = "referrals", "Referrals"
        DETENTIONS = "detentions", "Detentions under the Mental Health Act"
        OUTCOMES = "outcomes", "People with a recorded outcome"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        ImprovementProject, on_delete=models.CASCADE, null=True, blank=True, related_name="profiles"
    )
    title = models.CharField(max_length=200)
    dimension = models.CharField(max_length=30, choices=equality.dimension_choices())
    population_source = models.CharField("Source of the population figures", max_length=200)
    population_year = models.PositiveSmallIntegerField("Year of the population figures")
    compared = models.CharField("Compared with", max_length=20, choices=Compared.choices)
    caseload_source = models.CharField("Source of the service figures", max_length=200)
    caseload_year = models.PositiveSmallIntegerField("Year of the service figures")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def dimension_info(self) -> equality.Dimension:
        return equality.DIMENSIONS[self.dimension]

    def representation(self) -> list[SimpleNamespace]:
        rows = sorted(self.rows.all(), key=lambda r: self.dimension_order().get(r.category, 999))
        reps = equality.representation([(r.category, r.population, r.caseload) for r in rows])
        return [SimpleNamespace(label=equality.category_label(self.dimension, r.category), **vars_of(r)) for r in reps]

    def dimension_order(self) -> dict[str, int]:
        return {c: i for i, (c, _) in enumerate(self.dimension_info.categories)}


def vars_of(rep: equality.Representation) -> dict:
    return {
        "category": rep.category,
        "population": rep.population,
        "caseload": rep.caseload,
        "population_share": rep.population_share,
        "caseload_share": rep.caseload_share,
        "ratio": rep.ratio,
        "lower": rep.lower,
        "upper": rep.upper,
        "standing": rep.standing,
        "population_pct": rep.population_share * 100 if rep.population_share is not None else None,
        "caseload_pct": rep.caseload_share * 100 if rep.caseload_share is not None else None,
    }


class ProfileRow(models.Model):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(PopulationProfile, on_delete=models.CASCADE, related_name="rows")
    category = models.CharField(max_length=30)
    population = models.PositiveIntegerField()
    caseload = models.PositiveIntegerField()

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "category"], name="unique_profile_category")]

    def __str__(self) -> str:
        return f"{self.category}: {self.population} / {self.caseload}"


class ChangeTheory(Diagram):
    """A project's local change theory: a driver diagram, usually adapted from the programme's."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.OneToOneField(ImprovementProject, on_delete=models.CASCADE, related_name="change_theory")
    based_on = models.ForeignKey(
        ProgrammeChangeTheory, on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        verbose_name_plural = "change theories"

    def __str__(self) -> str:
        return f"Change theory of {self.project}"

    def element_defaults(self) -> dict:
        return {"organisation_id": self.organisation_id}

    def version_defaults(self) -> dict:
        return {"organisation_id": self.organisation_id}

    @classmethod
    @transaction.atomic
    def start(cls, project: ImprovementProject, *, by, programme: ProgrammeChangeTheory | None = None) -> ChangeTheory:
        """The project's change theory as a copy of the programme's (or blank, with the project's aim)."""
        theory = cls.objects.create(
            organisation_id=project.organisation_id, project=project, based_on=programme, aim=project.aim, version=1
        )
        copies = {}
        if programme is not None:
            # Parents before children: primaries, then secondaries, then change ideas.
            order = {Kind.PRIMARY: 0, Kind.SECONDARY: 1, Kind.CHANGE_IDEA: 2}
            for element in sorted(programme.live_elements(), key=lambda e: (order[e.kind], e.position, e.pk)):
                copies[element.pk] = ChangeTheoryElement.objects.create(
                    organisation_id=project.organisation_id,
                    diagram=theory,
                    kind=element.kind,
                    parent=copies.get(element.parent_id),
                    text=element.text,
                    description=element.description,
                    position=element.position,
                    source=element,
                )
        summary = "Started from the programme change theory" if programme else "Started a new change theory"
        theory.record_version(by, summary)
        return theory

    def divergence(self) -> dict:
        """How far this diagram has moved from the programme's: counts of each kind of lineage."""
        rows = list(self.elements.values("source_id", "adapted", "removed_at"))
        live = [r for r in rows if r["removed_at"] is None]
        used = {r["source_id"] for r in rows if r["source_id"]}
        programme_ids = set()
        if self.based_on_id:
            programme_ids = set(
                ProgrammeElement.objects.filter(diagram_id=self.based_on_id, removed_at=None).values_list(
                    "pk", flat=True
                )
            )
        return {
            "kept": sum(1 for r in live if r["source_id"] and not r["adapted"]),
            "adapted": sum(1 for r in live if r["source_id"] and r["adapted"]),
            "dropped": sum(1 for r in rows if r["source_id"] and r["removed_at"] is not None),
            "local": sum(1 for r in live if not r["source_id"]),
            "not_used": len(programme_ids - used),
        }


class ChangeTheoryElement(ElementBase):
    """A driver or change idea of a local change theory, with its lineage."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    diagram = models.ForeignKey(ChangeTheory, on_delete=models.CASCADE, related_name="elements")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    source = models.ForeignKey(
        ProgrammeElement, on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    adapted = models.BooleanField(default=False)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDEA)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    spreading_to = models.TextField(blank=True, help_text="The teams or sites the change is spreading to, one a line.")
    spread_target = models.CharField(
        max_length=200, blank=True, help_text="For example “all 6 community teams by March 2027”."
    )

    objects = ScopedManager(organisation="organisation")

    class Meta(ElementBase.Meta):
        indexes = [models.Index(fields=["source", "organisation"])]

    @property
    def lineage(self) -> str:
        if self.source_id is None:
            return "local"
        return "adapted" if self.adapted else "programme"

    def move_to(
        self, stage: str, *, by, evidence: str, cycles=(), measures=(), spreading_to="", spread_target="", at=None
    ) -> ChangeIdeaMove:
        """Move this change idea to `stage`, recording who, when and the evidence. ValidationError when not allowed."""
        if self.kind != Kind.CHANGE_IDEA:
            raise ValidationError("Only a change idea has a lifecycle.")
        if stage not in Stage.values:
            raise ValidationError("Choose a stage.")
        if stage == self.stage:
            raise ValidationError(f"“{self.text}” is already at the {Stage(stage).label.lower()} stage.")
        if stage not in STAGE_MOVES[self.stage]:
            allowed = ", ".join(Stage(s).label.lower() for s in STAGE_MOVES[self.stage])
            raise ValidationError(
                f"A change idea at the {Stage(self.stage).label.lower()} stage can move to: {allowed}; "
                f"not straight to {Stage(stage).label.lower()}."
            )
        evidence = (evidence or "").strip()
        errors: dict[str, list[str]] = {}
        if not evidence:
            errors.setdefault("evidence", []).append(
                "Say what justified this move: what the cycles showed, which measures moved."
            )
        cycles = list(cycles)
        if any(c.change_idea_id != self.pk for c in cycles):
            errors.setdefault("cycles", []).append("Choose cycles of this change idea only.")
        if stage == Stage.ADOPTED and not any(c.status == PdsaCycle.Status.COMPLETED for c in cycles):
            errors.setdefault("cycles", []).append(
                "Adopting a change needs at least one completed PDSA cycle as evidence: choose it."
            )
        spreading_to = (spreading_to or "").strip()
        spread_target = (spread_target or "").strip()
        if stage == Stage.SPREADING:
            if not spreading_to:
                errors.setdefault("spreading_to", []).append("Name the teams or sites the change is spreading to.")
            if not spread_target:
                errors.setdefault("spread_target", []).append(
                    "Give the spread target, for example all 6 teams by March."
                )
        if errors:
            raise ValidationError(errors)
        at = at or timezone.now()
        with transaction.atomic():
            move = ChangeIdeaMove.objects.create(
                organisation_id=self.organisation_id,
                change_idea=self,
                from_stage=self.stage,
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
            self.stage = stage
            self.stage_changed_at = at
            if stage == Stage.SPREADING:
                self.spreading_to, self.spread_target = spreading_to, spread_target
            type(self)._base_manager.filter(pk=self.pk).update(
                stage=self.stage,
                stage_changed_at=at,
                spreading_to=self.spreading_to,
                spread_target=self.spread_target,
            )
        return move


class ChangeTheoryVersion(VersionBase):
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    diagram = models.ForeignKey(ChangeTheory, on_delete=models.CASCADE, related_name="versions")

    objects = ScopedManager(organisation="organisation")

    class Meta(VersionBase.Meta):
        constraints = [models.UniqueConstraint(fields=["diagram", "number"], name="unique_change_theory_version")]


class Adoption(models.TextChoices):
    ADOPTED = "adopted", "Adopted"
    ADAPTED = "adapted", "Adapted"
    DROPPED = "dropped", "Dropped"
    NOT_USED = "not_used", "Not in their diagram"


def adoption_by_organisation(programme: ProgrammeChangeTheory, organisation_ids) -> dict[tuple[int, int], str]:
    """(programme element id, organisation id) -> Adoption, in one query whatever the number of organisations.

    An organisation adopted an element when a live copy is unchanged, adapted it
    when a live copy was edited, dropped it when every copy was removed.
    """
    rows = ChangeTheoryElement.objects.filter(
        source__diagram=programme, organisation_id__in=list(organisation_ids)
    ).values_list("source_id", "organisation_id", "adapted", "removed_at")
    seen: dict[tuple[int, int], set[str]] = {}
    for source_id, org_id, adapted, removed_at in rows:
        if removed_at is not None:
            status = Adoption.DROPPED
        else:
            status = Adoption.ADAPTED if adapted else Adoption.ADOPTED
        seen.setdefault((source_id, org_id), set()).add(status)
    result = {}
    for key, statuses in seen.items():
        for status in (Adoption.ADAPTED, Adoption.ADOPTED, Adoption.DROPPED):
            if status in statuses:
                result[key] = status
                break
    return result


# --- Coproduction and comments ----------------------------------------------------


class CoproductionEntry(models.Model):
    """One involvement of people with lived experience or community partners."""

    class Step(models.TextChoices):
        IDENTIFY = "identify", "Identify"
        DESIGN = "design", "Design"
        DELIVER = "deliver", "Deliver"
        EVALUATE = "evaluate", "Evaluate"

    class Level(models.TextChoices):
        # The ladder of participation, lowest first.
        INFORMED = "informed", "Informed"
        CONSULTED = "consulted", "Consulted"
        INVOLVED = "involved", "Involved"
        CO_DESIGNED = "co_designed", "Co-designed"
        LED = "led", "Led"

    class Topic(models.TextChoices):
        FOCUS_POPULATION = "focus_population", "Choosing the focus population"
        CHANGE_THEORY = "change_theory", "The change theory"
        MEASUREMENT = "measurement", "The measurement strategy"
        TESTING = "testing", "Testing changes"
        OTHER = "other", "Something else"

    # Levels at which people with lived experience shaped the work, not just heard about it.
    SHAPING_LEVELS = (Level.INVOLVED, Level.CO_DESIGNED, Level.LED)

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        ImprovementProject, on_delete=models.CASCADE, null=True, blank=True, related_name="coproduction"
    )
    date = models.DateField()
    who = models.CharField(
        "Who took part",
        max_length=300,
        help_text="Roles, not necessarily names: for example “4 service users from the early intervention "
        "team, 2 carers, a community partner”.",
    )
    step = models.CharField("AMHE step", max_length=20, choices=Step.choices)
    level = models.CharField("Level of involvement", max_length=20, choices=Level.choices)
    topic = models.CharField("What it was about", max_length=30, choices=Topic.choices)
    activity = models.TextField("What happened", blank=True)
    what_changed = models.TextField("What changed as a result")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name_plural = "coproduction entries"

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y} {self.get_step_display()} ({self.get_level_display()})"

    def clean(self):
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": "The date must be today or in the past: log involvement that happened."})


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
    body = models.TextField("Comment")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


# --- Testing and scaling up: change idea lifecycle, PDSA cycles, feedback -------------
#
# A change idea is a ChangeTheoryElement of kind "change_idea"; its lifecycle stage
# lives on the element (`stage`), and every move is kept with the evidence that
# justified it (ChangeIdeaMove). PDSA cycles always belong to one change idea; the
# cycles of an idea form its ramp, numbered 1, 2, 3... in the order they were logged.


class ChangeIdeaMove(models.Model):
    """One move of a change idea through its lifecycle, with the evidence for it. Append-only."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    change_idea = models.ForeignKey(ChangeTheoryElement, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    evidence = models.TextField()
    cycles = models.ManyToManyField("PdsaCycle", blank=True, related_name="+")
    measures = models.ManyToManyField("measures.Measure", blank=True, related_name="+")
    spreading_to = models.TextField(blank=True)
    spread_target = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.change_idea_id}: {self.from_stage} → {self.to_stage}"


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
    objective = models.CharField(max_length=300, help_text="What this cycle tests, in one sentence.")
    questions = models.TextField("Questions", blank=True, help_text="What you want to find out.")
    prediction = models.TextField(
        help_text="What you expect to happen, stated before the test. It cannot be changed once Do starts."
    )
    who = models.CharField("Who", max_length=300, blank=True)
    where = models.CharField("Where", max_length=300, blank=True)
    planned_start = models.DateField("Planned start")
    planned_end = models.DateField("Planned end")
    data_collection = models.TextField("Data to collect", blank=True, help_text="What data you will collect, how.")
    measures = models.ManyToManyField("measures.Measure", blank=True, related_name="pdsa_cycles")

    # Do
    what_was_done = models.TextField("What was done", blank=True)
    what_happened = models.TextField("What happened", blank=True)
    problems = models.TextField("Problems and unexpected observations", blank=True)
    actual_start = models.DateField("Actual start", null=True, blank=True)
    actual_end = models.DateField("Actual end", null=True, blank=True)

    # Study
    results = models.TextField("Results compared with the prediction", blank=True)
    learning = models.TextField("What we learned", blank=True)

    # Act
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    next_step = models.TextField("Next step", blank=True)

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
            idea.move_to(
                Stage.TESTING, by=by, evidence=f"PDSA cycle {cycle.number} logged: {cycle.objective}", cycles=[cycle]
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
    name = models.CharField(max_length=200)
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
    key = models.CharField(max_length=60)  # "new", "new-after-<cycle>", "cycle-<cycle>-<stage>"
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user", "key"], name="one_draft_per_form")]

    def __str__(self) -> str:
        return f"Draft {self.key} of {self.user_id}"


class Notification(models.Model):
    """Feedback for someone: a comment on their cycle or change idea, or a mention of them."""

    class Kind(models.TextChoices):
        FEEDBACK = "feedback", "Feedback"
        MENTION = "mention", "Mention"

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "comment"], name="one_notification_per_comment")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}"


class ProgressScore(models.Model):
    """An override of the suggested IHI progress score, with who, when, why. The latest one counts."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(ImprovementProject, on_delete=models.CASCADE, related_name="progress_scores")
    score = models.DecimalField(max_digits=2, decimal_places=1)
    suggested = models.DecimalField(
        max_digits=2, decimal_places=1, help_text="The suggestion at the time, to tell when it has moved on."
    )
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.score} ({self.project_id})"
