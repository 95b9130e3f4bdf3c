"""Measure the CRM's pages at a named scale, server-side through the real app.

    python -m bench.run --scale 10k                      # SQLite (bench/out/bench-10k.db)
    CRM_DATABASE_URL=postgresql://postgres@127.0.0.1/crm_bench python -m bench.run --scale 1m

Builds the data set first if it is missing (bench/dataset.py). For each page and role:
median and p95 of N requests after warm-up, the number of SQL statements the page issued,
and beside it the time of the raw SQL that page needs, run alone in the same process.
Writes the table to bench/RESULTS.md (one section per scale and database).
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

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values, pct):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(pct / 100 * (len(values) - 1))))
    return values[k]


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._hit)

    def _hit(self, *args, **kw):
        self.count += 1


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


def time_page(client, counter, url, n, warmup=3):
    for _ in range(warmup):
        r = client.get(url)
    if r.status_code != 200:
        return None
    times, statements = [], []
    for _ in range(n):
        counter.count = 0
        start = time.perf_counter()
        r = client.get(url)
        r.get_data()
        times.append((time.perf_counter() - start) * 1000)
        statements.append(counter.count)
    return statistics.median(times), percentile(times, 95), max(statements), r.status_code


def time_sql(engine, sql, params, n):
    if not sql:
        return None
    times = []
    with engine.connect() as conn:
        for _ in range(3):
            conn.execute(text(sql), params).fetchall()
        for _ in range(n):
            start = time.perf_counter()
            conn.execute(text(sql), params).fetchall()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def pages(ids):
    """(name, url, raw SQL the page needs) — scope placeholders filled per user."""
    cid = ids["customer_id"]
    return [
        ("customer list p1", "/customerview/list/", "SELECT * FROM customer WHERE {scope} ORDER BY id DESC LIMIT 20"),
        (
            "region filter p1",
            "/customerview/list/?_flt_3_region=east",
            "SELECT * FROM customer WHERE {scope} AND region = 'east' ORDER BY id DESC LIMIT 20",
        ),
        (
            "name search 2 chars",
            "/customerview/list/?_flt_2_name=%E5%8D%8E%E4%B8%9C",
            "SELECT * FROM customer WHERE {scope} AND name LIKE '%华东%' ORDER BY id DESC LIMIT 20",
        ),
        (
            "deep page 20,000",
            "/customerview/list/?page_CustomerView=20000",
            "SELECT * FROM customer WHERE {scope} ORDER BY id DESC LIMIT 20 OFFSET 400000",
        ),
        ("customer 360", f"/customerview/show/{cid}", f"SELECT * FROM customer WHERE id = {cid}; "),
        ("add-customer form", "/customerview/add", None),
        ("opportunity board", "/opportunityview/board", None),
        ("cockpit", "/reports/cockpit", None),
        ("workbench", "/", None),
    ]


def scope_sql(role):
    return "manager_id = :uid" if role == "AccountManager" else "1 = 1"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="10k")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args(argv)
    if not os.environ.get("CRM_DATABASE_URL"):
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        os.environ["CRM_DATABASE_URL"] = f"sqlite:///{out / f'bench-{args.scale}.db'}"
    os.environ.setdefault("CRM_INSTANCE_DIR", str(ROOT / "bench" / "out" / "instance"))
    from app import create_app
    from app.extensions import db
    from app.services.setup import init_all
    from bench.dataset import PASSWORD, build

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": True})
    rows = []
    with app.app_context():
        init_all(app.appbuilder)
        build(db.engine, args.scale, log=lambda *_: None)
        engine = db.engine
        dialect = engine.dialect.name
        counter = StatementCounter(engine)
        with engine.connect() as conn:
            users = conn.execute(
                text(
                    "SELECT u.id, u.username, r.name FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
                    "JOIN ab_role r ON r.id = ur.role_id WHERE u.username LIKE 'bench%' ORDER BY u.id"
                )
            ).all()
        am = next(u for u in users if u.name == "AccountManager")
        director = next(u for u in users if u.name == "SalesDirector")
        for user in (am, director):
            with engine.connect() as conn:
                cid = conn.execute(
                    text(f"SELECT id FROM customer WHERE {scope_sql(user.name)} ORDER BY id DESC LIMIT 1"),
                    {"uid": user.id},
                ).scalar()
        client_by_role = {u.name: login(app, u.username, PASSWORD) for u in (am, director)}
        for user in (am, director):
            with engine.connect() as conn:
                cid = conn.execute(
                    text(f"SELECT id FROM customer WHERE {scope_sql(user.name)} ORDER BY id DESC LIMIT 1"),
                    {"uid": user.id},
                ).scalar()
            for name, url, sql in pages({"customer_id": cid}):
                measured = time_page(client_by_role[user.name], counter, url, args.requests)
                raw = None
                if sql:
                    raw = time_sql(
                        engine, sql.format(scope=scope_sql(user.name)).split(";")[0], {"uid": user.id}, args.requests
                    )
                rows.append((name, user.name, measured, raw))
                if measured:
                    print(
                        f"{name:<22} {user.name:<15} median {measured[0]:7.1f} ms  p95 {measured[1]:7.1f} ms  "
                        f"{measured[2]:3d} SQL  raw {raw if raw is None else round(raw, 1)} ms"
                    )
                else:
                    print(f"{name:<22} {user.name:<15} (page not available)")
    write_results(args, dialect, rows)


def write_results(args, dialect, rows):
    path = Path(args.out)
    lines = [
        f"## scale {args.scale} on {dialect} — {dt.date.today().isoformat()}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Command: `python -m bench.run --scale {args.scale} --requests {args.requests}`"
        + (" with CRM_DATABASE_URL=postgresql://…" if dialect == "postgresql" else ""),
        "",
        "| page | role | median ms | p95 ms | SQL statements | raw SQL ms | ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, role, measured, raw in rows:
        if not measured:
            lines.append(f"| {name} | {role} | – | – | – | – | page not available |")
            continue
        ratio = f"{measured[0] / raw:.1f}×" if raw else "–"
        raw_s = f"{raw:.1f}" if raw is not None else "–"
        lines.append(f"| {name} | {role} | {measured[0]:.1f} | {measured[1]:.1f} | {measured[2]} | {raw_s} | {ratio} |")
    section = "\n".join(lines) + "\n"
    old = path.read_text() if path.exists() else "# Benchmark results\n\n"
    marker = f"## scale {args.scale} on {dialect}"
    kept = re.split(r"(?m)^(?=## )", old)
    kept = [part for part in kept if not part.startswith(marker)]
    path.write_text("".join(kept).rstrip() + "\n\n" + section)


if __name__ == "__main__":
    main()
