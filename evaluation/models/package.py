"""Builds of the evaluator package: one row per version, built in the background (evaluation/tasks.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from organisations import text as bounded

ACTIVE = ("queued", "running")
# A running build that has not reported progress for this long lost its worker: it may be claimed again.
STALE_AFTER = timedelta(minutes=30)


def package_upload_to(build: PackageBuild, filename: str) -> str:
    return f"evaluation/packages/{build.collaborative_id}/{filename}"


class PackageBuildQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE)


class PackageBuild(models.Model):
    """One version of a collaborative's evaluator package: requested, queued, built, ready (or failed).

    At most one build of a collaborative is queued or running at a time (a
    partial unique index): a second request while one is under way is shown
    that one instead of starting another.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    collaborative = models.ForeignKey(
        "collaborative.Collaborative", on_delete=models.CASCADE, related_name="package_builds"
    )
    version = models.PositiveIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    tables_done = models.PositiveSmallIntegerField(default=0)
    tables_total = models.PositiveSmallIntegerField(default=0)
    current_table = bounded.CharField(max_length=60, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the last progress reported
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=package_upload_to, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = bounded.TextField(blank=True, max_length=2000)
    # Built while the national team allowed names: the file has organisations' names, so it is withdrawn
    # (not downloadable) once names are no longer allowed.
    with_names = models.BooleanField(default=False)

    objects = PackageBuildQuerySet.as_manager()

    class Meta:
        ordering = ["collaborative", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["collaborative", "version"], name="one_package_build_per_version"),
            models.UniqueConstraint(
                fields=["collaborative"],
                condition=Q(status__in=ACTIVE),
                name="one_package_build_at_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collaborative} package v{self.version} ({self.get_status_display()})"

    @classmethod
    def request(cls, collaborative, *, by) -> tuple[PackageBuild, bool]:
        """A new queued build, or the one already under way: (build, created).

        Two requests at once race for the partial unique index (or the version
        number); the loser catches the IntegrityError and is handed the winner's build.
        """
        cls.fail_stale(collaborative)
        for _ in range(3):
            running = cls.objects.active().filter(collaborative=collaborative).first()
            if running is not None:
                return running, False
            latest = cls.objects.filter(collaborative=collaborative).aggregate(v=Max("version"))["v"] or 0
            try:
                with transaction.atomic():
                    return cls.objects.create(collaborative=collaborative, version=latest + 1, requested_by=by), True
            except IntegrityError:
                continue  # someone else's request won: show theirs (or, if it already finished, try again)
        running = cls.objects.active().filter(collaborative=collaborative).first()
        if running is None:
            raise RuntimeError("Could not record the package request: try again.")
        return running, False

    @classmethod
    def fail_stale(cls, collaborative) -> None:
        """A build no worker has touched for `STALE_AFTER` will not finish: mark it failed, so a new one may start."""
        cutoff = timezone.now() - STALE_AFTER
        mine = cls.objects.filter(collaborative=collaborative)
        mine.filter(status=cls.Status.QUEUED, requested_at__lt=cutoff).update(
            status=cls.Status.FAILED, error="No worker started the build: ask for the package again."
        )
        mine.filter(status=cls.Status.RUNNING).filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, requested_at__lt=cutoff)
        ).update(status=cls.Status.FAILED, error="The build stopped reporting progress: its worker was lost.")

    @property
    def withdrawn(self) -> bool:
        return self.with_names and not self.collaborative.evaluation_names_allowed

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return round(100 * self.tables_done / self.tables_total) if self.tables_total else 0

    @property
    def filename(self) -> str:
        return f"amhe-evaluation-{self.collaborative.slug}-v{self.version}.zip"
