"""Settings come only from the environment, with an embedded default."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'db_name': str(settings.DATABASES['default']['NAME']), "
    "'cache': settings.CACHES['default']['BACKEND'], 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'mailer': settings.MAILERS['default']['BACKEND'], "
    "'mailer_options': settings.MAILERS['default'].get('OPTIONS', {}), 'debug': settings.DEBUG, "
    "'csp': 'django.middleware.csp.ContentSecurityPolicyMiddleware' in settings.MIDDLEWARE}))"
)


def settings_under(**env) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG", "SECRET_KEY", "CELERY_BROKER_URL"}
    }
    clean.update(DJANGO_SETTINGS_MODULE="collaborative.settings", TESTING="1", **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_embedded_default_is_sqlite_inline_tasks_database_cache_console_email():
    s = settings_under()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert s["eager"] is True
    assert s["mailer"] == "django.core.mail.backends.console.EmailBackend"
    assert s["debug"] is False
    assert s["csp"] is True


def test_database_and_redis_urls_select_postgresql_and_redis():
    s = settings_under(
        DATABASE_URL="postgres://amhe:pw@db.internal:5432/amhe", REDIS_URL="redis://cache.internal:6379/1"
    )
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["db_name"] == "amhe"
    assert s["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert s["eager"] is False
    assert s["broker"] == "redis://cache.internal:6379/1"


def test_email_url_configures_smtp():
    s = settings_under(EMAIL_URL="smtp://mailer:s%40cret@smtp.example:587/?tls=true")
    assert s["mailer"] == "django.core.mail.backends.smtp.EmailBackend"
    assert s["mailer_options"]["host"] == "smtp.example"
    assert s["mailer_options"]["port"] == 587
    assert s["mailer_options"]["password"] == "s@cret"
    assert s["mailer_options"]["use_tls"] is True


def test_production_needs_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="collaborative.settings")
    env.pop("TESTING", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("database_url", ["", "postgres://postgres@127.0.0.1:5432/amhe_deploy_check"])
def test_deploy_check_is_clean_with_production_settings(database_url):
    env = {k: v for k, v in os.environ.items() if k not in {"TESTING", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DEBUG="0",
        EMAIL_URL="smtp://mailer:secret@smtp.amhe.example:587/?tls=true",
        SECRET_KEY="x" * 20 + "-production-like-secret-key-for-the-check-0123456789",
        ALLOWED_HOSTS="amhe.example",
        DATABASE_URL=database_url,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_each_xdist_worker_keeps_its_cache_in_a_redis_database_of_its_own(monkeypatch):
    from collaborative import settings as s

    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert s._cache_location("redis://127.0.0.1:6379/9") == "redis://127.0.0.1:6379/9"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    assert s._cache_location("redis://127.0.0.1:6379/9") == "redis://127.0.0.1:6379/10"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert s._cache_location("redis://127.0.0.1:6379/9") == "redis://127.0.0.1:6379/11"
    assert s._cache_location("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379/2"
