"""The JSON API for data warehouses: create or replace a measure's data points, read its series.

Authentication is a bearer token (organisations.ApiToken) that names one
organisation; every call enters that organisation's scope and is audited.
"""

import json

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_scopes import scope

from organisations import access
from organisations.models import ApiToken, AuditEvent

from .importing import COLUMNS, MAX_REPORTED, MAX_ROWS, apply, check_for
from .models import DataPoint, Measure

MAX_POINTS = MAX_ROWS  # as many as one import file
MAX_BODY_BYTES = 5 * 1024 * 1024  # 50,000 points of about 90 bytes each, with room to spare


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _authenticate(request) -> ApiToken | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return ApiToken.authenticate(header.removeprefix("Bearer ").strip())


@csrf_exempt  # token-authenticated: no cookies, so no cross-site request to forge
@login_not_required
def measure_data(request, code):
    token = _authenticate(request)
    if token is None:
        response = _error(401, "Give a valid API token: Authorization: Bearer amhe_...")
        response["WWW-Authenticate"] = 'Bearer realm="amhe"'
        return response
    if request.method not in ("GET", "PUT", "POST"):
        return _error(405, "Use GET to read a series, PUT or POST to create or replace data points.")
    organisation = token.organisation
    if not access.can(token.created_by, "manage_tokens", organisation):
        # The person who made the token no longer leads this organisation's work: it stops working.
        return _error(401, "This token's owner no longer manages this organisation's tokens; ask for a new one.")
    with scope(organisation=[organisation.pk]):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        measure = Measure.objects.filter(organisation=organisation, code=code).first()
        if measure is None:
            return _error(404, f"No measure with the code {code!r}.")
        if request.method == "GET":
            response = _series(request, measure)
        else:
            response = _write(request, organisation, measure, token)
        AuditEvent.objects.create(
            action=AuditEvent.Action.API,
            organisation=organisation,
            user_email=f"token:{token.name}",
            object_type="measures.Measure",
            object_id=str(measure.pk),
            summary=f"{request.method} {measure.code}: {response.status_code}",
            path=request.path[:300],
            ip_address=request.META.get("REMOTE_ADDR"),
        )
        return response


def _series(request, measure) -> JsonResponse:
    points = DataPoint.objects.filter(measure=measure).order_by("stratum", "period_start")
    stratum = request.GET.get("stratum")
    if stratum:
        points = points.filter(stratum=stratum)
    return JsonResponse(
        {
            "measure": {
                "code": measure.code,
                "name": measure.name,
                "value_type": measure.value_type,
                "frequency": measure.frequency,
                "improvement": measure.improvement,
                "dimension": measure.dimension or None,
            },
            "points": [
                {
                    "period_start": p.period_start.isoformat(),
                    "stratum": p.stratum,
                    "numerator": p.numerator,
                    "denominator": p.denominator,
                    "value": None if p.value is None else str(p.value.normalize()),
                }
                for p in points
            ],
        }
    )


def _too_large(size: int) -> JsonResponse:
    return _error(
        413,
        f"The body is {size / 1_048_576:.1f} MB; send at most {MAX_BODY_BYTES // 1_048_576} MB "
        f"and {MAX_POINTS:,} points per request.",
    )


def _body(request):
    """The request's JSON, or the JsonResponse that says why it cannot be read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:  # refused from its declared length, before a byte is read
        return _too_large(declared)
    if len(request.body) > MAX_BODY_BYTES:
        return _too_large(len(request.body))
    try:
        return json.loads(request.body or b"{}")
    except UnicodeDecodeError:
        return _error(400, "The body must be UTF-8 encoded JSON.")
    except json.JSONDecodeError as exc:
        return _error(400, f"The body is not valid JSON: {exc.msg} at position {exc.pos}.")
    except RecursionError:
        return _error(400, 'The body is nested too deeply: send {"points": [...]} with flat points.')
    except ValueError as exc:  # for example an integer of thousands of digits
        return _error(400, f"The body is not valid JSON: {exc}.")


def _write(request, organisation, measure, token) -> JsonResponse:
    body = _body(request)
    if isinstance(body, JsonResponse):
        return body
    points = body.get("points") if isinstance(body, dict) else None
    if not isinstance(points, list) or not points:
        return _error(400, 'Send {"points": [{"period_start": "YYYY-MM-DD", "stratum": "all", ...}, ...]}.')
    if len(points) > MAX_POINTS:
        return _error(413, f"Send at most {MAX_POINTS:,} points per request; this request has {len(points):,}.")
    rows, shape_errors = [], []
    for index, point in enumerate(points):
        if not isinstance(point, dict):
            shape_errors.append({"index": index, "field": None, "message": "each point must be a JSON object"})
            continue
        unknown = set(point) - set(COLUMNS[1:])
        if unknown:
            shape_errors.append(
                {
                    "index": index,
                    "field": sorted(unknown)[0],
                    "message": "unknown field; use period_start, stratum, numerator, denominator, value",
                }
            )
            continue
        not_plain = next((k for k, v in point.items() if not _plain(v)), None)
        if not_plain:
            shape_errors.append(
                {"index": index, "field": not_plain, "message": "give a string, a number or null, not a list or object"}
            )
            continue
        rows.append((index, {"measure_code": measure.code, **{k: point.get(k) for k in COLUMNS[1:]}}))
    result, measures = check_for(organisation, rows)
    errors = shape_errors + [{"index": e.row, "field": e.column, "message": e.message} for e in result.errors]
    if errors:
        errors.sort(key=lambda e: e["index"])
        count = len(shape_errors) + result.error_count
        return JsonResponse(
            {
                "error": "Nothing was saved: correct these points.",
                "errors": errors[:MAX_REPORTED],
                "error_count": count,
                "unlisted": count - min(len(errors), MAX_REPORTED),
            },
            status=422,
        )
    summary = apply(organisation, result.records, measures, by=token.created_by, source="api")
    return JsonResponse({"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged})


def _plain(value) -> bool:
    """A JSON scalar: a point's fields are checked like a file's cells, which are never lists or objects."""
    return value is None or isinstance(value, (str, int, float))
