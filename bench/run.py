"""Measure the CRM's pages at a named scale, server-side through the real app.

    python -m bench.run --scale 10k                      # SQLite (bench/out/bench-10k.db)
    CRM_DATABASE_URL=postgresql://postgres@127.0.0.1/crm_bench python -m bench.run --scale 1m

Builds the data set first if it is missing (bench/dataset.py). For each page and role:
median and p95 of N requests after warm-up, the number of SQL statements the page issued,
and beside it the time of the raw SQL that page needs: the SELECTs the page sent, replayed
alone on a plain connection in the same process. Then the bulk operations that exist
(churn scan, export and import of 100,000 rows). Writes the table to bench/RESULTS.md (one
section per scale and database).
"""

import argparse
import contextvars
import datetime as dt
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROLES = ("AccountManager", "SalesDirector")


def percentile(values, pct):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(pct / 100 * (len(values) - 1))))
    return values[k]


class StatementCounter:
    """Counts statements on the engine; keeps the SELECTs of the last request when asked."""

    def __init__(self, engine):
        self.count = 0
        self.recording = None
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        if self.recording is not None and statement.lstrip().upper().startswith(("SELECT", "WITH", "EXPLAIN")):
            self.recording.append((statement, parameters))


class Client:
    """Test client whose requests run outside the bench's own app context (fresh `g`)."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, url, **kw):
        return contextvars.Context().run(self.client.get, url, **kw)

    def post(self, url, **kw):
        return contextvars.Context().run(self.client.post, url, **kw)


def login(app, username, password):
    client = Client(app)
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = client.post("/login/", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 302, f"login {username} failed"
    return client


SLOW_MS = 2_000  # a page slower than this gets SLOW_SAMPLES requests, so a run stays bounded
SLOW_SAMPLES = 3


def time_page(client, counter, url, n, warmup=3):
    """(median ms, p95 ms, statements, status, SELECTs of the last request, samples) or None if not 200."""
    for _ in range(warmup):
        start = time.perf_counter()
        r = client.get(url)
        r.get_data()
        if r.status_code != 200:
            return None
        if (time.perf_counter() - start) * 1000 > SLOW_MS:
            n = min(n, SLOW_SAMPLES)
            break
    times, statements = [], []
    for i in range(n):
        counter.count = 0
        counter.recording = [] if i == n - 1 else None
        start = time.perf_counter()
        r = client.get(url)
        r.get_data()
        times.append((time.perf_counter() - start) * 1000)
        statements.append(counter.count)
    recorded, counter.recording = counter.recording, None
    return statistics.median(times), percentile(times, 95), max(statements), r.status_code, recorded, n


def time_replay(engine, statements, n):
    """Median ms of the page's SELECTs run alone, back to back, on one raw connection."""
    if not statements:
        return None
    warmup = 3 if n > SLOW_SAMPLES else 0
    times = []
    with engine.connect() as conn:
        for i in range(n + warmup):
            start = time.perf_counter()
            for sql, params in statements:
                result = conn.exec_driver_sql(sql, params)
                if result.returns_rows:
                    result.fetchall()
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def search_term(engine):
    """Two characters from the middle of a real company name: what a user types to find it."""
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT name FROM customer WHERE id >= (SELECT (min(id) + max(id)) / 2 FROM customer) ORDER BY id")
        ).scalar()
    return name[1:3]


def board_url(app):
    """The opportunity board, if it is built yet (app/views/sales.py)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith(".board") and not rule.arguments:
            return rule.rule
    return None


def pages(app, customer_id, term):
    from app.reports import REPORTS

    listing = "/customerview/list/"
    result = [
        ("customer list p1", listing),
        ("region filter p1", f"{listing}?_flt_3_region=east"),
        (f"name search “{term}”", f"{listing}?_flt_2_name={quote(term)}"),
        ("deep page 20,000", f"{listing}?page_CustomerView=19999"),
        ("customer 360", f"/customerview/show/{customer_id}"),
        ("add-customer form", "/customerview/add"),
        ("opportunity board", board_url(app)),
        ("cockpit", "/reports/cockpit/"),
    ]
    result += [(f"report {name}", f"/reports/{name}/") for name in REPORTS if name != "cockpit"]
    result.append(("workbench", "/"))
    return result


def bench_users(engine):
    with engine.connect() as conn:
        users = conn.execute(
            text(
                "SELECT u.id, u.username, r.name AS role FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
                "JOIN ab_role r ON r.id = ur.role_id WHERE u.username LIKE 'bench%' ORDER BY u.id"
            )
        ).all()
    return {role: next(u for u in users if u.role == role) for role in ROLES}


def newest_customer(engine, role, user_id):
    scope = "manager_id = :uid" if role == "AccountManager" else "1 = 1"
    with engine.connect() as conn:
        return conn.execute(
            text(f"SELECT id FROM customer WHERE {scope} ORDER BY id DESC LIMIT 1"), {"uid": user_id}
        ).scalar()


def measure_pages(app, engine, counter, clients, users, n):
    term = search_term(engine)
    rows = []
    for role in ROLES:
        cid = newest_customer(engine, role, users[role].id)
        for name, url in pages(app, cid, term):
            measured = time_page(clients[role], counter, url, n) if url else None
            raw = time_replay(engine, measured[4], measured[5]) if measured else None
            rows.append((name, role, measured, raw))
            if measured:
                print(
                    f"{name:<24} {role:<15} median {measured[0]:7.1f} ms  p95 {measured[1]:7.1f} ms  "
                    f"{measured[2]:3d} SQL  raw {raw:7.1f} ms",
                    flush=True,
                )
            else:
                print(f"{name:<24} {role:<15} (not available)", flush=True)
    return rows


def measure_operations(app, engine):
    """Bulk operations that exist in this tree: (name, seconds, peak MB or None, note)."""
    from bench import operations

    return [op for op in (operations.churn_scan(app), operations.export(app), operations.import_(app)) if op]


def settle(engine):
    """VACUUM ANALYZE (PostgreSQL): the rolled-back churn scan and import of an earlier run
    leave a million dead rows in customer and churn and clear the visibility map, so that
    index-only scans visit the heap again — the pages would be timed on that debris, not on
    the data set. Autovacuum gets there too, minutes later."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="10k")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--skip-operations", action="store_true", help="pages only (no scan/export/import)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args(argv)
    if not os.environ.get("CRM_DATABASE_URL"):
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        os.environ["CRM_DATABASE_URL"] = f"sqlite:///{out / f'bench-{args.scale}.db'}"
    os.environ.setdefault("CRM_INSTANCE_DIR", str(ROOT / "bench" / "out" / "instance"))
    from app import create_app
    from app.extensions import db
    from app.services.roles import ensure_roles
    from app.services.setup import init_all
    from bench.dataset import PASSWORD, build

    started = time.perf_counter()
    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": True})
    with app.app_context():
        init_all(app.appbuilder)
        ensure_roles(app.appbuilder, reset=True)  # measure the default rights of each role
        build(db.engine, args.scale, log=lambda *_: None)
        engine = db.engine
        dialect = engine.dialect.name
        settle(engine)
        counter = StatementCounter(engine)
        users = bench_users(engine)
        clients = {role: login(app, users[role].username, PASSWORD) for role in ROLES}
        rows = measure_pages(app, engine, counter, clients, users, args.requests)
        operations = [] if args.skip_operations else measure_operations(app, engine)
    elapsed = time.perf_counter() - started
    print(f"total {elapsed:.0f} s")
    write_results(args, dialect, rows, operations, elapsed)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_results(args, dialect, rows, operations, elapsed):
    path = Path(args.out)
    command = f"python -m bench.run --scale {args.scale} --requests {args.requests}"
    if dialect == "postgresql":
        command = f"CRM_DATABASE_URL=postgresql://…/crm_bench {command}"
    lines = [
        f"## scale {args.scale} on {dialect} — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {machine()}. Command: `{command}` ({elapsed:.0f} s end to end).",
        "",
        "| page | role | median ms | p95 ms | requests | SQL statements | raw SQL ms | page ÷ raw |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, role, measured, raw in rows:
        if not measured:
            lines.append(f"| {name} | {role} | – | – | – | – | – | not available |")
            continue
        ratio = f"{measured[0] / raw:.1f}×" if raw else "–"
        raw_s = f"{raw:.1f}" if raw is not None else "–"
        lines.append(
            f"| {name} | {role} | {measured[0]:.1f} | {measured[1]:.1f} | {measured[5]} | {measured[2]} | "
            f"{raw_s} | {ratio} |"
        )
    if operations:
        lines += ["", "| operation | seconds | peak MB | note |", "|---|---:|---:|---|"]
        for name, seconds, peak, note in operations:
            peak_s = f"{peak:.0f}" if peak is not None else "–"
            lines.append(f"| {name} | {seconds:.1f} | {peak_s} | {note} |")
    section = "\n".join(lines) + "\n"
    old = path.read_text() if path.exists() else "# Benchmark results\n\n"
    marker = f"## scale {args.scale} on {dialect}"
    kept = re.split(r"(?m)^(?=## )", old)
    kept = [part for part in kept if not part.startswith(marker)]
    path.write_text("".join(kept).rstrip() + "\n\n" + section)


if __name__ == "__main__":
    main()
