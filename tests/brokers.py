"""Point this process's Celery app at another broker for one test (tasks are queued, not run inline)."""

from contextlib import contextmanager


def forget_connections(app) -> None:
    """Drop the app's pooled broker connections, so that the next publish connects to the broker now set.
    kombu keeps its pools in a registry of its own: empty it too, or a closed pool would be handed out again."""
    from kombu import pools

    pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def queued_through(url: str):
    from collaborative.celery import app

    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.update(broker_url=url, task_always_eager=False)
    forget_connections(app)
    try:
        yield app
    finally:
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1])
        forget_connections(app)
