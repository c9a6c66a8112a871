"""Real services the delivery tests start themselves: an SMTP server, a Redis, Celery worker and beat processes.

Everything here is started by the test that needs it and stopped at its end; nothing
touches the machine's own Redis on 6379 (the tests' Redis is a separate server on a free port).
"""

from __future__ import annotations

import asyncio
import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")


class Mailbox:
    """An aiosmtpd handler that keeps what it accepted. `hold()` makes the next message wait
    (the sender is stuck mid-send) until `release()`; a held message is then refused (451),
    as a server does when the client went away before the end of the transaction."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self._hold: threading.Event | None = None
        self.delay = 0.0  # seconds to take over each message, to make senders overlap

    def hold(self) -> None:
        self.arrived.clear()
        self._hold = threading.Event()

    def release(self) -> None:
        if self._hold is not None:
            self._hold.set()

    async def handle_DATA(self, server, session, envelope):
        hold, self._hold = self._hold, None
        if hold is not None:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, hold.wait, 60)
            return "451 4.3.0 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 2.0.0 OK"

    def subjects(self) -> list[str]:
        with self.lock:
            return sorted(str(m["Subject"]) for m in self.messages)


class SmtpServer:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}/"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.mailbox.release()
        self.controller.stop()


class RedisServer:
    """A throwaway redis-server on its own port, which a test may stop and start again."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.tmp = tmp
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 15, f"redis-server on port {self.port}")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def app_env(**extra) -> dict:
    """The environment of a process of this project against the test database."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="collaborative.settings", TESTING="1", DATABASE_URL=database_url())
    env.update(extra)
    return env


class Process:
    """A long-running process (a Celery worker or beat) whose output goes to a log file."""

    def __init__(self, args: list[str], env: dict, log: Path):
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen | None = None
        self._out = None

    def start(self, ready: str | None = None, timeout: float = 60) -> Process:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.log.open("ab")
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self._out, stderr=subprocess.STDOUT)
        if ready:
            start = self.log.stat().st_size
            wait_for(lambda: ready in self.log.read_text(errors="replace")[start:] or self.died(), timeout, ready)
            assert not self.died(), self.text()
        return self

    def died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process dies mid-task, acknowledging nothing."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None
        self._close()

    def _close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None
        self._close()


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "collaborative", *args]


def worker_args(name: str) -> list[str]:
    return celery(
        "worker",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"{name}@%h",
        "--loglevel",
        "INFO",
    )
