from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from organisations import access
from organisations.models import Organisation
from organisations.views import role_home

from . import health
from .models import Enrolment


@login_not_required
@never_cache
def healthz(request):
    healthy, parts = health.status()
    return JsonResponse({"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503)


def home(request):
    return redirect(role_home(request.user))


def no_role(request):
    return render(request, "collaborative/no_role.html")


@access.requires("view_programme")
def board(request):
    enrolments = Enrolment.objects.filter(
        organisation_id__in=access.visible_organisation_ids(request.user)
    ).select_related("organisation", "collaborative")
    return render(request, "collaborative/board.html", {"enrolments": enrolments})


@access.requires("view_evaluation")
def evaluation(request):
    # Aggregates only: counts of organisations by type, never a workspace.
    from django.db.models import Count

    by_kind = Organisation.objects.values("kind").annotate(n=Count("pk")).order_by("kind")
    labels = dict(Organisation.Kind.choices)
    rows = [(labels.get(r["kind"], r["kind"]), r["n"]) for r in by_kind]
    return render(request, "collaborative/evaluation.html", {"rows": rows})
