"""Load test of the read path (issue 8): gunicorn + production settings + wrk.

    make load                       # bench database, performer "bench", 30 s, 16 connections
    make load LOAD_ARGS="--duration 60 --connections 32"

Starts gunicorn (2 sync workers, --preload: the issue's setup) with production settings on the
bench database (``DATABASE_URL``, default: ``mycustomers_bench`` of the local cluster), logs in
through the real login form, checks that every URL of the browse cycle answers 200 with that
session, runs ``wrk`` with a Lua script cycling through them (sorts, deep pages, filters,
search, a list, a detail page, the lists page), prints requests/s, latency percentiles,
errors, and CPU per request: gunicorn's processes, the PostgreSQL backends serving them
(tagged with an application name), wrk, and the whole machine (whose excess over those is
whatever else ran meanwhile: compare runs by the per-process figures on a busy machine).
Then stops gunicorn. Read-only apart from the login (a session row, an axes log row).
Needs ``wrk`` (``apt-get install -y wrk``) and the seeded bench data set (``make bench``).
"""

from __future__ import annotations

import argparse
import html
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
APP_NAME = "mycustomers-loadtest"


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    out = subprocess.run(
        [PY, "-m", "mycustomers.devtools.pgcluster", "url", "mycustomers_bench"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def browse_paths(performer: str) -> list[str]:
    """The browse cycle: read the ids it needs (a customer, the biggest list, the page count)."""
    import django

    django.setup()
    from django.db.models import Count

    from lists.models import CustomerList
    from mycustomers.models import Customer, Performer

    owner = Performer.objects.get(username=performer)
    customers = Customer.objects.for_performer(owner).visible()
    total = customers.count()
    customer = customers.order_by("-live_calls", "member_name").values_list("pk", flat=True)[0]
    biggest = (
        CustomerList.objects.for_performer(owner)
        .annotate(n=Count("memberships"))
        .order_by("-n")
        .values_list("pk", flat=True)
        .first()
    )
    last_page = max(1, -(-total // 20))
    paths = [
        "/customers/",
        "/customers/?sort=-earnings",
        "/customers/?sort=customer",
        "/customers/?sort=-live_calls&page=2",
        f"/customers/?sort=contact_type&page={last_page // 2}",
        f"/customers/?page={last_page}",
        "/customers/?sort=-mail_sent&per_page=50",
        "/customers/?q=ann",
        "/customers/?letter=B",
        f"/customers/?list={biggest}" if biggest else "/customers/?list=unassigned",
        f"/customers/{customer}/",
        "/lists/",
    ]
    django.db.connections.close_all()
    return paths


class Http:
    """Requests to gunicorn as if through a TLS-terminating proxy (X-Forwarded-Proto)."""

    def __init__(self, port: int):
        self.host = f"127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None):
        conn = http.client.HTTPConnection(self.host, timeout=30)
        headers = {"Host": self.host, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{self.host}"
            headers["Referer"] = f"https://{self.host}{path}"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, text

    def login(self, username: str, password: str) -> str:
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise SystemExit(f"login page answered {status}")
        form = {
            "csrfmiddlewaretoken": html.unescape(token[1]),
            "username": username,
            "password": password,
        }
        status, _ = self.request("POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login failed ({status}): check LOAD_PERFORMER / LOAD_PASSWORD")
        return self.cookies["sessionid"]


def wait_until_up(http: Http, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            http.request("GET", "/accounts/login/")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)


LUA = """\
-- Each connection walks the browse cycle from its own starting point.
local paths = {%(paths)s}
local headers = {["Cookie"] = "sessionid=%(session)s", ["X-Forwarded-Proto"] = "https"}
local counter = 0
local think = %(think_ms)d

function init(args)
  counter = math.random(#paths)
end

function request()
  counter = counter %% #paths + 1
  return wrk.format("GET", paths[counter], headers)
end

-- A user reads the page before the next click (0: the next request goes out at once).
function delay()
  return think
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT requests=%%d seconds=%%.2f errors=%%d status_errors=%%d "
    .. "p50=%%.1f p90=%%.1f p95=%%.1f p99=%%.1f max=%%.1f\\n",
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of processes (and their reaped children) from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def machine_busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def backend_pids() -> list[int]:
    """The PostgreSQL backends serving this run's gunicorn (tagged by application name)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = %s AND pid <> pg_backend_pid()",
            [APP_NAME],
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    connection.close()
    return pids


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def wrk_command(args, script: str, duration: int) -> list[str]:
    return [
        "wrk",
        f"-t{min(2, args.connections)}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout=10s",
        "-s",
        script,
        f"http://127.0.0.1:{args.port}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of wrk (30)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent users (16)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument(
        "--think-ms",
        type=int,
        default=0,
        help="each user's pause between a response and their next request (0: none)",
    )
    args = parser.parse_args()

    performer = os.environ.get("LOAD_PERFORMER", "bench")
    password = os.environ.get("LOAD_PASSWORD", "demo-customers-2024")
    url = bench_database_url()
    env = {
        **os.environ,
        # Tagged, so that the run's own PostgreSQL backends can be found and their CPU read.
        "DATABASE_URL": f"{url}{'&' if '?' in url else '?'}application_name={APP_NAME}",
        "DJANGO_SETTINGS_MODULE": "mycustomers.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    paths = browse_paths(performer)

    gunicorn = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "mycustomers.wsgi",
            f"--workers={args.workers}",
            f"--worker-class={args.worker_class}",
            f"--threads={args.threads}",
            "--preload",
            f"--bind=127.0.0.1:{args.port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        http = Http(args.port)
        wait_until_up(http)
        session = http.login(performer, password)
        for path in paths:  # wrk counts redirects as successes: check each page once here
            status, _ = http.request("GET", path)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
        lua = LUA % {
            "paths": ", ".join(f'"{p}"' for p in paths),
            "session": session,
            "think_ms": args.think_ms,
        }
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(lua)
        # Warm up every worker thread (and its database connection) with a short run.
        subprocess.run(wrk_command(args, script.name, duration=3), capture_output=True, check=True)

        workers, backends = children(gunicorn.pid), backend_pids()
        load_before = os.getloadavg()[0]
        busy0, app0 = machine_busy_seconds(), cpu_seconds([gunicorn.pid, *workers])
        db0 = cpu_seconds(backends)
        wrk = subprocess.Popen(
            wrk_command(args, script.name, args.duration), stdout=subprocess.PIPE, text=True
        )
        _, status, usage = os.wait4(wrk.pid, 0)  # reap it ourselves to read its CPU
        wrk_ms = (usage.ru_utime + usage.ru_stime) * 1000
        busy1, app1 = machine_busy_seconds(), cpu_seconds([gunicorn.pid, *workers])
        # Backends opened during the run (a worker thread started late) count from zero.
        db1 = cpu_seconds(sorted(set(backends) | set(backend_pids())))
        output = wrk.stdout.read()
        wrk.returncode = os.waitstatus_to_exitcode(status)
        os.unlink(script.name)
        print(output)
        result = re.search(r"^RESULT (.*)$", output, re.M)
        if not result:
            raise SystemExit("wrk gave no result")
        values = dict(item.split("=") for item in result[1].split())
        requests = int(values["requests"])
        app_ms = (app1 - app0) * 1000 / requests
        busy_ms = (busy1 - busy0) * 1000 / requests
        db_ms = (db1 - db0) * 1000 / requests
        wrk_ms /= requests
        ours = app_ms + db_ms + wrk_ms
        print(
            textwrap.dedent(f"""\
            {requests / float(values["seconds"]):.1f} requests/s, {requests:,} requests, \
{values["errors"]} errors ({values["status_errors"]} non-2xx/3xx)
            latency ms: p50 {values["p50"]}, p90 {values["p90"]}, p95 {values["p95"]}, \
p99 {values["p99"]}, max {values["max"]}
            CPU ms per request: {ours:.1f} = gunicorn {app_ms:.1f} + PostgreSQL {db_ms:.1f} \
+ wrk {wrk_ms:.1f}; whole machine {busy_ms:.1f} (the rest: other processes, kernel)
            load average before the run: {load_before:.2f}""")
        )
        for path in paths:  # the session still works: nothing was a login redirect
            status, _ = http.request("GET", path)
            if status != 200:
                raise SystemExit(f"after the run, {path} answered {status}")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
