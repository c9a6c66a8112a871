"""There is no Docker engine here: read the compose file and check its promises."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_of(service) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_compose_has_web_worker_beat_db_and_redis_with_health_checks():
    services = compose()["services"]
    assert set(services) == {"migrate", "web", "worker", "beat", "db", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"], name


def test_commands_run_gunicorn_celery_worker_and_beat_and_migrate_on_start():
    services = compose()["services"]
    assert command_of(services["migrate"]) == "python manage.py migrate --no-input"
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "gunicorn collaborative.wsgi" in command_of(services["web"])
    assert command_of(services["worker"]).startswith("celery -A collaborative worker")
    assert command_of(services["beat"]).startswith("celery -A collaborative beat")
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_app_services_get_their_configuration_from_the_environment_and_wait_for_healthy_services():
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DEBUG"] == "0"
        assert "SECRET_KEY" in env
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_dockerfile_builds_assets_in_a_node_stage():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM node:" in dockerfile and "npm ci" in dockerfile and "build_assets.py" in dockerfile
    assert "COPY --from=assets" in dockerfile
    assert "collectstatic" in dockerfile
