"""A bounded load run: gunicorn on 127.0.0.1, 50 simulated users for 60 s, then it stops.

    CRM_DATABASE_URL=postgresql://postgres@127.0.0.1/crm_bench python -m bench.load --scale 1m
    python -m bench.load --scale 10k          # SQLite file of bench.run

Starts gunicorn itself (several sync workers, loopback only), logs each simulated user in
(40 account managers, 10 sales directors of the bench data set), then every user loops over
a mix of customer list, name search, customer 360 and cockpit requests without think time.
Prints throughput, median and p95 per kind and the error count, stops gunicorn, and adds the
result to bench/RESULTS.md.
"""

import argparse
import datetime as dt
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import PASSWORD, SCALES  # noqa: E402
from bench.run import machine, percentile  # noqa: E402

# kind → weight in the mix
MIX = {"list": 4, "search": 2, "360": 3, "cockpit": 1}
TERMS = ["华东", "东金", "睿光", "天东", "科技", "鑫海"]


class Session:
    """One simulated user: its own connection and session cookie."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, url, body=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, url, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return response.status, data

    def login(self, username):
        _, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        form = urlencode({"username": username, "password": PASSWORD, "csrf_token": token})
        status, _ = self.request("POST", "/login/", form)
        if status != 302:
            raise RuntimeError(f"login {username}: HTTP {status}")


def wait_for_port(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not start")


def bench_accounts(database_url):
    """(AccountManager usernames with one of their customer ids, SalesDirector usernames, customer ids)."""
    os.environ["CRM_DATABASE_URL"] = database_url
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT u.username, r.name AS role, (SELECT max(c.id) FROM customer c WHERE c.manager_id = u.id) AS cid "
                "FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id JOIN ab_role r ON r.id = ur.role_id "
                "WHERE u.username LIKE 'bench%' AND r.name IN ('AccountManager', 'SalesDirector') ORDER BY u.id"
            )
        ).all()
        top = conn.execute(text("SELECT max(id) FROM customer")).scalar()
    engine.dispose()
    managers = [(r.username, r.cid) for r in rows if r.role == "AccountManager" and r.cid][:40]
    directors = [(r.username, None) for r in rows if r.role == "SalesDirector"][:10]
    return managers + directors, top


def user_loop(port, username, own_customer, top_customer, stop_at, results, errors, rng):
    session = Session(port)
    try:
        session.login(username)
    except Exception as exc:  # counted, the run goes on
        errors.append(f"login {username}: {exc}")
        return
    kinds = [k for k, w in MIX.items() for _ in range(w)]
    while time.time() < stop_at:
        kind = rng.choice(kinds)
        if kind == "list":
            url = "/customerview/list/" + ("" if rng.random() < 0.5 else f"?page_CustomerView={rng.randint(1, 50)}")
        elif kind == "search":
            url = f"/customerview/list/?_flt_2_name={quote(rng.choice(TERMS))}"
        elif kind == "360":
            cid = own_customer or rng.randint(top_customer - 100_000, top_customer)
            url = f"/customerview/show/{cid}"
        else:
            url = "/reports/cockpit/"
        start = time.perf_counter()
        try:
            status, _ = session.request("GET", url)
        except Exception as exc:
            errors.append(f"{url}: {exc}")
            continue
        took = (time.perf_counter() - start) * 1000
        if status != 200:
            errors.append(f"{url}: HTTP {status}")
        results.append((kind, took))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="10k")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args(argv)
    url = os.environ.get("CRM_DATABASE_URL") or f"sqlite:///{ROOT / 'bench' / 'out' / f'bench-{args.scale}.db'}"
    accounts, top = bench_accounts(url)
    env = {
        **os.environ,
        "CRM_DATABASE_URL": url,
        "CRM_LOGIN_RATE_LIMIT": "10000 per minute",  # 50 logins from one address
        "CRM_INSTANCE_DIR": os.environ.get("CRM_INSTANCE_DIR", str(ROOT / "bench" / "out" / "instance")),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
            "run:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_port(args.port)
        results, errors = [], []
        stop_at = time.time() + args.seconds
        threads = [
            threading.Thread(
                target=user_loop,
                args=(args.port, *accounts[i % len(accounts)], top, stop_at, results, errors, random.Random(i)),
                daemon=True,
            )
            for i in range(args.users)
        ]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + 60)
        elapsed = time.time() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    report(args, url, results, errors, elapsed)


def report(args, url, results, errors, elapsed):
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    lines = [
        f"## load run {args.scale} on {dialect} — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {machine()}. Command: `python -m bench.load --scale {args.scale}` — gunicorn "
        f"{args.workers} sync workers on 127.0.0.1, {args.users} simulated users without think time, "
        f"{args.seconds} s (logins included in the wall time {elapsed:.0f} s).",
        "",
        "| requests | kind | throughput req/s | median ms | p95 ms | errors |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    kinds = ["all", *MIX]
    for kind in kinds:
        times = [t for k, t in results if kind in ("all", k)]
        if not times:
            continue
        lines.append(
            f"| {len(times):,} | {kind} | {len(times) / args.seconds:.1f} | {statistics.median(times):.0f} | "
            f"{percentile(times, 95):.0f} | {len(errors) if kind == 'all' else '–'} |"
        )
    if errors:
        lines += ["", "First errors: " + "; ".join(errors[:5])]
    section = "\n".join(lines) + "\n"
    print(section)
    path = Path(args.out)
    old = path.read_text() if path.exists() else "# Benchmark results\n\n"
    marker = f"## load run {args.scale} on {dialect}"
    kept = [part for part in re.split(r"(?m)^(?=## )", old) if not part.startswith(marker)]
    path.write_text("".join(kept).rstrip() + "\n\n" + section)


if __name__ == "__main__":
    main()
