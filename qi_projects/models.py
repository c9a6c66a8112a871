"""Local design: improvement projects, focus populations, population profiles,
change theories (driver diagrams) with lineage and versions and the coproduction
log. PDSA cycles, change-idea lifecycles and comments are in `qi_projects/pdsa`.

Driver diagrams exist at two levels that share one implementation: the
programme-level change theory of a collaborative (kept by the national team)
and each project's local change theory, which starts as a copy of it. Every
local element remembers the programme element it came from (`source`, null when
it is new locally) and whether it was `adapted`; removing an element is a soft
delete (`removed_at`), so a programme element an organisation removed is
"dropped" rather than forgotten.

Every edit goes through `Diagram.edit()` (called by the public `add_element`,
`move_element`, ... methods), which claims the next version number
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

from organisations import text as bounded
from organisations.dates import near_today

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
    text = bounded.CharField(max_length=300)
    description = bounded.TextField(blank=True)
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
    summary = bounded.CharField(max_length=300)
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

    aim = bounded.TextField(blank=True)
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

    # The edits a diagram allows, each a new version based on `based_on` (see `edit`); each returns its summary.

    def set_aim(self, aim: str, *, by, based_on: int) -> str:
        return self.edit(self._set_aim, aim, by=by, based_on=based_on)

    def add_element(
        self, kind: str, text: str, description: str = "", parent=None, *, by, based_on: int, **extra
    ) -> str:
        """Add a driver or change idea; the new element is then `self.added`."""
        return self.edit(self._add, kind, text, description, parent, by=by, based_on=based_on, **extra)

    def update_element(self, element, text: str, description: str = "", *, by, based_on: int) -> str:
        return self.edit(self._update, element, text, description, by=by, based_on=based_on)

    def move_element(self, element, parent, *, by, based_on: int) -> str:
        return self.edit(self._move, element, parent, by=by, based_on=based_on)

    def shift_element(self, element, delta: int, *, by, based_on: int) -> str:
        """Move an element up (-1) or down (+1) among its siblings."""
        return self.edit(self._shift, element, delta, by=by, based_on=based_on)

    def remove_element(self, element, *, by, based_on: int) -> str:
        return self.edit(self._remove, element, by=by, based_on=based_on)

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
        self.added = element
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
    title = bounded.CharField(max_length=200)
    aim = bounded.TextField(
        "SMART aim",
        help_text="Specific, measurable, achievable, relevant and time-bound: what will improve, for whom, "
        "by how much and by when.",
    )
    target_value = models.DecimalField("Target", max_digits=12, decimal_places=2)
    target_unit = bounded.CharField("Unit of the target", max_length=40, help_text="For example %, days or people.")
    target_date = models.DateField("Target date", validators=[near_today])
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
    name = bounded.CharField(max_length=200, help_text="How you describe the group, for example “Young Black men”.")
    groups = models.JSONField(default=list, blank=True)
    local_description = bounded.TextField(blank=True)
    inequality = models.CharField("Type of inequality", max_length=20, choices=Inequality.choices)
    evidence = bounded.TextField(help_text="What shows this group faces the worst inequality: data, voices, reports.")
    reference_group = bounded.CharField(max_length=60)
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
    title = bounded.CharField(max_length=200)
    dimension = models.CharField(max_length=30, choices=equality.dimension_choices())
    population_source = bounded.CharField("Source of the population figures", max_length=200)
    population_year = models.PositiveSmallIntegerField("Year of the population figures")
    compared = models.CharField("Compared with", max_length=20, choices=Compared.choices)
    caseload_source = bounded.CharField("Source of the service figures", max_length=200)
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
    category = bounded.CharField(max_length=30)
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
    spreading_to = bounded.TextField(blank=True, help_text="The teams or sites the change is spreading to, one a line.")
    spread_target = bounded.CharField(
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
    date = models.DateField(validators=[near_today])
    who = bounded.CharField(
        "Who took part",
        max_length=300,
        help_text="Roles, not necessarily names: for example “4 service users from the early intervention "
        "team, 2 carers, a community partner”.",
    )
    step = models.CharField("AMHE step", max_length=20, choices=Step.choices)
    level = models.CharField("Level of involvement", max_length=20, choices=Level.choices)
    topic = models.CharField("What it was about", max_length=30, choices=Topic.choices)
    activity = bounded.TextField("What happened", blank=True)
    what_changed = bounded.TextField("What changed as a result")
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
