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


def send(client, secret, body: bytes):
    headers = {"Authorization": f"Bearer {secret}"}
    return client.put(URL.format(code="EIP"), data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),  # json.loads alone raises RecursionError
        (b'{"points": [{"numerator": ' + b"1" * 5_000 + b"}]}", "not valid JSON"),  # past int()'s digit limit
        (b'{"points": [1, 2', "not valid JSON"),
        (b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_malformed_or_deeply_nested_json_gets_a_json_400(client, token, body, words):
    response = send(client, token, body)
    assert response.status_code == 400
    assert words in response.json()["error"]
    with scopes_disabled():
        assert not DataPoint.objects.exists()


def test_a_body_over_5_mb_gets_a_json_413_before_it_is_parsed(client, token):
    padding = " " * (5 * 1024 * 1024)
    response = send(client, token, json.dumps({"points": POINTS}).encode() + padding.encode())
    assert response.status_code == 413
    assert "at most 5 MB" in response.json()["error"]
    with scopes_disabled():
        assert not DataPoint.objects.exists()


def test_a_body_too_large_for_any_upload_still_gets_json(client, token):
    response = client.generic(
        "PUT",
        URL.format(code="EIP"),
        b"",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 413 and "at most 5 MB" in response.json()["error"]


def test_more_than_50000_points_get_a_json_413(client, token):
    points = [{"period_start": "2025-01-01"}] * 50_001
    response = put(client, token, points)
    assert response.status_code == 413
    assert response.json()["error"] == "Send at most 50,000 points per request; this request has 50,001."
    with scopes_disabled():
        assert not DataPoint.objects.exists()


def test_a_field_that_is_a_list_or_object_is_a_field_error(client, token):
    nested = {"period_start": "2025-01-01", "stratum": "all", "numerator": [[[12]]], "denominator": {"n": 40}}
    response = put(client, token, [POINTS[0], nested])
    assert response.status_code == 422
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "numerator")]
    with scopes_disabled():
        assert not DataPoint.objects.exists()


def test_only_the_first_200_problems_are_listed_and_the_rest_counted(client, token):
    points = [{"period_start": "2025-01-15", "stratum": "all", "numerator": 1, "denominator": 2}] * 250
    body = put(client, token, points).json()
    assert len(body["errors"]) == 200 and body["error_count"] == 250 and body["unlisted"] == 50
