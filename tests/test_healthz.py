import json

import pytest
from django.test import override_settings

DEAD_REDIS = "redis://127.0.0.1:1/0"


def get_health(client):
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content)


def test_healthz_in_embedded_mode_reports_the_broker_inline(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    status, body = get_health(client)
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "cache": "ok", "broker": "inline"}


def test_healthz_needs_no_login(client, db):
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.redis
def test_healthz_with_redis_up_is_ok(client, db, settings):
    import os

    url = os.environ["REDIS_URL"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    status, body = get_health(client)
    assert status == 200, body
    assert body["broker"] == "ok" and body["cache"] == "ok"


def test_stopped_redis_cache_gives_503_naming_the_cache(client, db):
    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    with override_settings(CACHES=dead, CELERY_TASK_ALWAYS_EAGER=True):
        status, body = get_health(client)
    assert status == 503
    assert body["status"] == "error"
    assert body["cache"].startswith("error")
    assert body["database"] == "ok"


def test_stopped_broker_gives_503_naming_the_broker(client, db):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=DEAD_REDIS):
        status, body = get_health(client)
    assert status == 503
    assert body["broker"].startswith("error")
    assert body["cache"] == "ok"


def test_database_down_gives_503(client, db, monkeypatch):
    from collaborative import health

    def broken():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    status, body = get_health(client)
    assert status == 503
    assert body["database"] == "error: ConnectionError: connection refused"


def test_an_oversized_upload_is_refused_before_it_is_read(client, db):
    response = client.generic(
        "POST",
        "/orgs/alpha/data/import/",
        b"",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert "at most 10 MB" in response.content.decode()
