"""Access-matrix rows for the evaluation app (collected by tests/test_access_matrix.py)."""

from tests.access import Page

EVALUATION = {"national", "evaluator"}


def _ready_package(cast, organisation):
    """A ready version of the collaborative's package, with a file in storage."""
    from django.core.files.base import ContentFile

    from evaluation.models import PackageBuild

    build, _ = PackageBuild.objects.get_or_create(
        collaborative=cast.collaborative, version=1, defaults={"status": PackageBuild.Status.READY}
    )
    if not build.file:
        build.file.save("package.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18))
    return {"version": build.version}


ORG_PAGES: dict = {}
SITE_PAGES: dict = {
    "evaluation:package": (200, EVALUATION),
}
SITE_OBJECT_PAGES: dict = {
    "evaluation:package_download": Page(EVALUATION, kwargs=_ready_package),
}
