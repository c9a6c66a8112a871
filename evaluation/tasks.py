"""Background work of the evaluation app: building the evaluator package."""

from __future__ import annotations

import logging
import os
import tempfile

from celery import shared_task
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

logger = logging.getLogger(__name__)


def _claim(build_id: int) -> bool:
    """Move the build from queued to running, or take over a running one whose worker was lost.

    The conditional update is the claim: a retried task of a build that is ready,
    failed or running elsewhere changes nothing and builds nothing.
    """
    from .models import PackageBuild
    from .models.package import STALE_AFTER

    now = timezone.now()
    S = PackageBuild.Status
    claimable = Q(status=S.QUEUED) | Q(status=S.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    return bool(
        PackageBuild.objects.filter(claimable, pk=build_id).update(
            status=S.RUNNING, started_at=now, heartbeat_at=now, tables_done=0, error=""
        )
    )


@shared_task(acks_late=True)
def build_package(build_id: int) -> str:
    """Build one version of the evaluator package and store it through the storage API; returns its status."""
    from . import package
    from .models import PackageBuild
    from .models.package import package_upload_to

    with scopes_disabled():  # the package reads every enrolled organisation, through its suppressed tables
        if not _claim(build_id):
            return PackageBuild.objects.filter(pk=build_id).values_list("status", flat=True).first() or "missing"
        build = PackageBuild.objects.select_related("collaborative").get(pk=build_id)

        def progress(done: int, total: int, name: str) -> None:
            PackageBuild.objects.filter(pk=build_id, status=PackageBuild.Status.RUNNING).update(
                tables_done=done, tables_total=total, current_table=name, heartbeat_at=timezone.now()
            )

        try:
            # Built on local disk, then handed to the storage (a shared volume or an object store), so that
            # every web replica can serve it; the temporary file goes when the build ends.
            with tempfile.TemporaryDirectory(prefix="amhe-package-") as folder:
                path = os.path.join(folder, build.filename)
                # What the package reads (`package.context_for`) is this same instance's flag.
                PackageBuild.objects.filter(pk=build_id).update(with_names=build.collaborative.evaluation_names_allowed)
                package.build(build.collaborative, path, version=build.version, progress=progress)
                with open(path, "rb") as handle:
                    name = default_storage.save(package_upload_to(build, build.filename), File(handle))
                size = os.path.getsize(path)
        except Exception as exc:  # noqa: BLE001  (any failure is the build's, recorded for the page)
            logger.exception("Package build %s failed", build_id)
            PackageBuild.objects.filter(pk=build_id).update(
                status=PackageBuild.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000] or repr(exc)
            )
            return PackageBuild.Status.FAILED  # recorded and shown on the page; a retry would fail the same way
        PackageBuild.objects.filter(pk=build_id).update(
            status=PackageBuild.Status.READY,
            file=name,
            size=size,
            finished_at=timezone.now(),
            current_table="",
            heartbeat_at=timezone.now(),
        )
    return PackageBuild.Status.READY
