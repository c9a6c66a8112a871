"""`make loadtest`: the bench data under load, 8 leads : 2 coaches : 1 national (README, "Load test").

Run by scripts/loadtest/run.sh against gunicorn with the production settings. Every
simulated user signs in through allauth (staff with a TOTP code from the bench
authenticator secret); users of the same account share its session, as one person's
tabs would, so each account signs in once (a TOTP code may be used only once). Once
everyone is signed in the statistics start afresh and run for LOADTEST_TIME seconds;
then a table of requests, errors, p50 and p95 per page is printed.

The server sits behind no proxy here, so the load test plays the TLS-terminating load
balancer: it sends `X-Forwarded-Proto: https` (which the production settings trust,
SECURE_PROXY_SSL_HEADER) and a client address of its own per user in
`X-Forwarded-For` (counted by the sign-in rate limits when TRUSTED_PROXY_COUNT=1).
"""

from __future__ import annotations

import itertools
import os
import re
import time

import gevent
from gevent.lock import Semaphore
from locust import FastHttpUser, between, events, task
from totp import totp  # beside this file (locust puts its folder on the path)

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "amhe-bench-2026")
TOTP_SECRET = os.environ.get("LOADTEST_TOTP_SECRET", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
MEASURE_TIME = float(os.environ.get("LOADTEST_TIME", "60"))
N_LEADS = int(os.environ.get("LOADTEST_LEADS", "100"))
N_COACHES = int(os.environ.get("LOADTEST_COACHES", "5"))
WAIT = [float(x) for x in os.environ.get("LOADTEST_WAIT", "1,3").split(",")]

_counter = itertools.count(1)
_sessions: dict[str, list] = {}
_locks: dict[str, Semaphore] = {}
_signed_in = {"n": 0, "failed": 0, "started": None, "login_times": []}


class Person(FastHttpUser):
    abstract = True
    wait_time = between(*WAIT)
    email = ""

    def on_start(self):
        n = next(_counter)
        self.address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        self.origin = self.host.replace("http://", "https://", 1)
        self.email = self.account(n)
        lock = _locks.setdefault(self.email, Semaphore())
        started = time.perf_counter()
        self.cookies: dict[str, str] = {}
        with lock:
            if self.email in _sessions:
                self.cookies = dict(_sessions[self.email])
                ok = True
            else:
                ok = self.sign_in()
                if ok:
                    _sessions[self.email] = dict(self.cookies)
        _signed_in["login_times"].append(time.perf_counter() - started)
        _signed_in["n" if ok else "failed"] += 1
        self.after_sign_in()

    def account(self, n: int) -> str:
        raise NotImplementedError

    def after_sign_in(self) -> None:
        pass

    def headers(self, referer: str = "/") -> dict:
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Origin": self.origin,
            "Referer": self.origin + referer,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def remember(self, response) -> None:
        """Keep the cookies set (the session is Secure: it rides on the proxied "https" connection)."""
        headers = response.headers
        if headers is None:
            return
        for line in headers.getlist("set-cookie") if hasattr(headers, "getlist") else headers.get_all("set-cookie", []):
            pair, _, attributes = line.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower().replace(" ", "") or value in ("", '""'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    def fetch(self, method: str, path: str, name: str, data: dict | None = None) -> tuple[int, str, str]:
        """One request and the redirects after it, by hand (each hop may set a cookie): (status, final path, body)."""
        referer = path
        for _ in range(5):
            with self.client.request(
                method,
                path,
                name=name,
                data=data,
                headers=self.headers(referer),
                allow_redirects=False,
                catch_response=True,
            ) as response:
                self.remember(response)
                status = response.status_code
                if status in (301, 302, 303):
                    response.success()
                    location = response.headers.get("location") or "/"
                    referer, path, method, data = path, re.sub(r"^https?://[^/]+", "", location), "GET", None
                    continue
                if status != 200:
                    response.failure(f"{status}")
                return status, path, response.text or ""
        return 0, path, ""

    def sign_in(self) -> bool:
        self.fetch("GET", "/accounts/login/", "sign in")
        form = {"login": self.email, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        status, path, _ = self.fetch("POST", "/accounts/login/", "sign in", form)
        if "/2fa/authenticate" in path:
            return self.second_factor()
        return status == 200 and "/accounts/login/" not in path

    def second_factor(self) -> bool:
        for attempt in range(2):
            form = {"code": totp(TOTP_SECRET), "csrfmiddlewaretoken": self.csrf()}
            status, path, _ = self.fetch("POST", "/accounts/2fa/authenticate/", "sign in (TOTP)", form)
            if status == 200 and "/2fa/authenticate" not in path:
                return True
            if attempt == 0:
                gevent.sleep(31 - time.time() % 30)  # that code was used already: wait for the next one
        return False

    def page(self, path: str, name: str) -> str:
        with self.client.get(
            path, headers=self.headers(), name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code in (301, 302):
                response.failure(f"redirected to {response.headers.get('location')}")
            elif response.status_code != 200:
                response.failure(f"{response.status_code}")
            return response.text or ""


class Lead(Person):
    weight = 8

    def account(self, n):
        self.org = f"bench-{(n - 1) % N_LEADS + 1:03d}"
        return f"lead{(n - 1) % N_LEADS + 1}@bench.example"

    def after_sign_in(self):
        self.measure = None
        found = re.search(rf"/orgs/{self.org}/data/measures/(\d+)/", self.page(f"/orgs/{self.org}/", "workspace"))
        self.measure = found.group(1) if found else None

    @task(4)
    def workspace(self):
        self.page(f"/orgs/{self.org}/", "workspace")

    @task(2)
    def measure_chart(self):
        if self.measure:
            self.page(f"/orgs/{self.org}/data/measures/{self.measure}/", "measure chart")

    @task(1)
    def data_overview(self):
        self.page(f"/orgs/{self.org}/data/", "data overview")

    @task(1)
    def pdsa_list(self):
        self.page(f"/orgs/{self.org}/pdsa/", "PDSA cycles")

    @task(1)
    def sponsor(self):
        self.page(f"/orgs/{self.org}/sponsor/", "sponsor's summary")


class Coach(Person):
    weight = 2

    def account(self, n):
        self.number = (n - 1) % N_COACHES
        return f"coach{self.number + 1}@bench.example"

    @task(3)
    def portfolio(self):
        self.page("/coaching/", "coach portfolio")

    @task(1)
    def an_organisation(self):
        org = f"bench-{self.number * 20 + int(time.time()) % 20 + 1:03d}"
        self.page(f"/orgs/{org}/", "workspace (coach)")


class National(Person):
    weight = 1

    def account(self, n):
        return "national@bench.example"

    @task(3)
    def board(self):
        self.page("/programme/", "programme board")

    @task(1)
    def an_organisation(self):
        self.page(f"/orgs/bench-{int(time.time()) % N_LEADS + 1:03d}/", "workspace (national)")


@events.test_start.add_listener
def _measure_once_everyone_is_in(environment, **kwargs):
    runner = environment.runner
    if runner is None or environment.parsed_options is None:
        return

    def watch():
        target = environment.parsed_options.num_users
        deadline = time.time() + 600
        while _signed_in["n"] + _signed_in["failed"] < target and time.time() < deadline:
            gevent.sleep(0.5)
        logins = sorted(_signed_in["login_times"])
        print(
            f"Signed in: {_signed_in['n']} users ({len(_sessions)} accounts), {_signed_in['failed']} failed; "
            f"slowest sign-in {logins[-1] if logins else 0:.1f} s. Measuring for {MEASURE_TIME:g} s.",
            flush=True,
        )
        runner.stats.reset_all()
        _signed_in["started"] = time.time()
        gevent.sleep(MEASURE_TIME)
        runner.quit()

    gevent.spawn(watch)


@events.quitting.add_listener
def _report(environment, **kwargs):
    stats = environment.runner.stats
    elapsed = time.time() - (_signed_in["started"] or time.time())
    rows = sorted((e for e in stats.entries.values() if e.num_requests), key=lambda e: e.name)
    width = max([len(e.name) for e in rows] + [20])
    lines = [
        f"Load test: {environment.parsed_options.num_users} users, measured {elapsed:.0f} s after everyone signed in",
        f"{'page':<{width}}  {'requests':>8}  {'errors':>6}  {'req/s':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}",
    ]
    for e in [*rows, stats.total]:
        name = "all pages" if e is stats.total else e.name
        lines.append(
            f"{name:<{width}}  {e.num_requests:>8}  {e.num_failures:>6}  {e.num_requests / max(elapsed, 1):>6.1f}  "
            f"{e.get_response_time_percentile(0.5) or 0:>7.0f}  {e.get_response_time_percentile(0.95) or 0:>7.0f}  "
            f"{e.max_response_time or 0:>7.0f}"
        )
    errors = sorted(stats.errors.values(), key=lambda e: -e.occurrences)
    if errors:
        lines.append("Errors:")
        lines += [f"  {e.occurrences:>5} × {e.method} {e.name}: {e.error}" for e in errors[:10]]
    print("\n".join(lines), flush=True)
