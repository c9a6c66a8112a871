import json

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from measures.models import DataPoint
from measures.tests.factories import make_measure
from organisations.models import ApiToken, AuditEvent

URL = "/api/v1/measures/{code}/data"


@pytest.fixture
def token(cast):
    make_measure(cast.org_a)
    _, secret = ApiToken.issue(organisation=cast.org_a, name="Warehouse", created_by=cast.lead)
    return secret


def put(client, secret, points, code="EIP"):
    return client.put(
        URL.format(code=code),
        data=json.dumps({"points": points}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


POINTS = [
    {"period_start": "2025-01-01", "stratum": "all", "numerator": 12, "denominator": 40},
    {"period_start": "2025-01-01", "stratum": "ethnicity:M", "numerator": 3, "denominator": 9},
]


def test_no_or_bad_token_gets_401_json(client, token):
    response = client.get(URL.format(code="EIP"))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert "API token" in response.json()["error"]
    response = client.get(URL.format(code="EIP"), headers={"Authorization": "Bearer amhe_nope_nope"})
    assert response.status_code == 401


def test_a_session_alone_does_not_authenticate_the_api(client, cast, token, login):
    login(client, cast.lead)
    assert client.get(URL.format(code="EIP")).status_code == 401


def test_create_replace_and_read_a_series_idempotently(client, cast, token):
    response = put(client, token, POINTS)
    assert response.status_code == 200 and response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert put(client, token, POINTS).json() == {"created": 0, "updated": 0, "unchanged": 2}
    changed = [dict(POINTS[0], numerator=13)]
    assert put(client, token, changed).json() == {"created": 0, "updated": 1, "unchanged": 0}
    body = client.get(URL.format(code="EIP") + "?stratum=all", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["measure"]["code"] == "EIP"
    assert body["points"] == [
        {"period_start": "2025-01-01", "stratum": "all", "numerator": 13, "denominator": 40, "value": None}
    ]
    assert AuditEvent.objects.filter(action="api", organisation=cast.org_a).count() == 4


def test_validation_errors_are_json_with_field_messages_and_save_nothing(client, cast, token):
    response = put(
        client,
        token,
        [
            POINTS[0],
            {"period_start": "2025-01-15", "stratum": "all", "numerator": 1, "denominator": 2},
            {"period_start": "2025-02-01", "stratum": "ethnicity:Q", "numerator": 9, "denominator": 2},
            {"period_start": "2025-03-01", "stratum": "all", "numerator": 1, "denominator": 2, "colour": "red"},
        ],
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {
        (1, "period_start"),
        (2, "stratum"),
        (2, "numerator"),
        (3, "colour"),
    }
    with scopes_disabled():
        assert not DataPoint.objects.exists()


def test_malformed_bodies_get_clear_errors(client, token):
    response = client.put(
        URL.format(code="EIP"),
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    assert put(client, token, []).status_code == 400


def test_a_token_of_organisation_a_cannot_touch_organisation_b(client, cast, token):
    make_measure(cast.org_b, code="BETA")
    response = put(client, token, POINTS, code="BETA")
    assert response.status_code == 404
    response = client.get(URL.format(code="BETA"), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    with scopes_disabled():
        assert not DataPoint.objects.filter(organisation=cast.org_b).exists()


def test_revoked_token_stops_working(client, cast, token):
    with scopes_disabled():
        ApiToken.objects.update(revoked_at=timezone.now())
    assert put(client, token, POINTS).status_code == 401


def test_a_token_stops_working_when_its_owner_leaves_the_role(client, cast, token):
    from organisations.models import Membership

    with scopes_disabled():
        Membership.objects.filter(user=cast.lead, role="lead").delete()
    response = put(client, token, POINTS)
    assert response.status_code == 401 and "no longer" in response.json()["error"]
