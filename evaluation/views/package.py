"""The evaluator package: request a build, watch its progress, download a version."""

from django.db import transaction
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from organisations import access
from organisations.audit import reads_across_organisations, record
from organisations.models import AuditEvent
from organisations.tasks import delay_safely

from ..models import PackageBuild


def _collaborative(request):
    collaborative = access.collaborative_for(request.user, request.GET.get("collaborative"))
    if collaborative is None:
        raise Http404("You have no collaborative to evaluate.")
    return collaborative


@require_http_methods(["GET", "POST"])
@reads_across_organisations("Viewed the evaluator package page")
@access.requires("export_evaluation")
def package_page(request):
    """The versions built so far; POST asks for a new one (or is shown the one already under way)."""
    collaborative = _collaborative(request)
    if request.method == "POST":
        return _request_build(request, collaborative)
    builds = list(
        PackageBuild.objects.filter(collaborative=collaborative).select_related("requested_by", "collaborative")
    )
    context = {
        "collaborative": collaborative,
        "builds": builds,
        "active": next((b for b in builds if b.is_active), None),
        "already": request.GET.get("already") == "1",
    }
    template = "evaluation/package.html#versions" if request.htmx else "evaluation/package.html"
    return render(request, template, context)


def _request_build(request, collaborative):
    from ..tasks import build_package

    with transaction.atomic():
        build, created = PackageBuild.request(collaborative, by=request.user)
        if created:
            record(
                AuditEvent.Action.EXPORT,
                request=request,
                obj=build,
                summary=f"Requested the evaluator package v{build.version} of {collaborative}",
            )
            transaction.on_commit(lambda: _queue(build_package, build))
    url = request.path + ("" if created else "?already=1")
    return redirect(url)


def _queue(task, build) -> None:
    if not delay_safely(task, build.pk):
        PackageBuild.objects.filter(pk=build.pk, status=PackageBuild.Status.QUEUED).update(
            status=PackageBuild.Status.FAILED,
            error="The build could not be queued (the task queue did not answer). Ask for the package again.",
        )


@access.requires("export_evaluation")
def package_download(request, version: int):
    """One ready version of the package, as an attachment (never shown inline)."""
    collaborative = _collaborative(request)
    build = get_object_or_404(
        PackageBuild, collaborative=collaborative, version=version, status=PackageBuild.Status.READY
    )
    if build.withdrawn:
        raise Http404("This version has the organisations' names, which are no longer allowed.")
    if not build.file or not build.file.storage.exists(build.file.name):
        raise Http404("The package file is missing from storage.")
    record(
        AuditEvent.Action.EXPORT,
        request=request,
        obj=build,
        summary=f"Downloaded the evaluator package v{build.version} of {collaborative}",
    )
    response = StreamingHttpResponse(_chunks(build.file), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=build.filename)
    if build.size:
        response["Content-Length"] = str(build.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _chunks(field, size: int = 256 * 1024):
    # Opened only when the response is read, and closed when it ends or is dropped (the generator's close):
    # the package may be large, so it is never read whole into memory.
    with field.storage.open(field.name, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk
