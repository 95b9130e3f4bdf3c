"""Time the churn scan on 100,000 customers with 1,000,000 orders (SQLite and PostgreSQL).

    .venv/bin/python -m bench.churn_bench                                   # SQLite file bench/out/churn-bench.db
    .venv/bin/python -m bench.churn_bench --url postgresql://postgres@127.0.0.1/crm_cust

The PostgreSQL database must be a scratch one: its public schema is dropped and rebuilt.
Data are made set-based (INSERT … SELECT over a number series, no Python loop per row):
most customers ordered within the last 150 days, one in ten may have gone quiet for up to
1,000 days, every 20th customer never ordered, every 50th order is cancelled. Then the scan runs twice: the first creates the warnings, the second (the daily
cron case) finds nothing new.
"""

import argparse
import datetime as dt
import os
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

OUT = Path(__file__).resolve().parent / "out"


def _sql(pg):
    """Series, dates and timestamps: the few expressions that differ between the two."""
    if pg:
        return {
            "series": "generate_series(1, {n}) AS s(g)",
            "date_ago": "(current_date - ({expr})::int)",
            "ts_ago": "(localtimestamp - ({expr}) * interval '1 day')",
        }
    return {
        "series": "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) SELECT g FROM s) AS s",
        "date_ago": "date('now', (-({expr})) || ' days')",
        "ts_ago": "datetime('now', (-({expr})) || ' days')",
    }


def build(conn, pg, customers, orders, managers, log):
    q = _sql(pg)

    def step(name, sql):
        start = time.perf_counter()
        rows = conn.execute(text(sql)).rowcount
        log(f"  {name:<10} {rows:>9,} rows  {time.perf_counter() - start:6.1f} s")

    step(
        "managers",
        f"""INSERT INTO ab_user (first_name, last_name, username, password, active, email, created_on, changed_on)
        SELECT 'bench' || g, '经理', 'bench_am' || g, '!', {"true" if pg else 1}, 'bench' || g || '@example.com',
               {q["ts_ago"].format(expr="0")}, {q["ts_ago"].format(expr="0")}
        FROM {q["series"].format(n=managers)}""",
    )
    first_manager = conn.execute(text("SELECT min(id) FROM ab_user WHERE username LIKE 'bench_am%'")).scalar()
    step(
        "customers",
        f"""INSERT INTO customer (no, name, name_norm, phone_norm, satisfaction, credit, manager_id, status,
                                  created_on, changed_on, version)
        SELECT 'KB' || g, '基准客户' || g || '有限公司', '基准客户' || g, '', 3, 3,
               {first_manager} + g % {managers}, 'normal',
               {q["ts_ago"].format(expr="400 + g % 700")}, {q["ts_ago"].format(expr="0")}, 1
        FROM {q["series"].format(n=customers)}""",
    )
    first_customer = conn.execute(text("SELECT min(id) FROM customer WHERE no LIKE 'KB%'")).scalar()
    # order g goes to customer k = g % ordered, skipping every 20th customer (never ordered).
    # A customer's latest order is L days ago: within 150 days for nine in ten customers,
    # up to 1,000 days for the others; its older orders lie up to a year before that.
    ordered = customers - customers // 20
    latest = "(CASE WHEN k % 10 = 0 THEN (k * 7919) % 1000 ELSE (k * 7919) % 150 END)"
    days_ago = f"{latest} + ((g / {ordered}) * 37) % 365"
    step(
        "orders",
        f"""INSERT INTO sales_order (customer_id, no, date, status, amount, created_on, changed_on, version)
        SELECT {first_customer} + (k / 19) * 20 + k % 19 + 1, 'DB' || g,
               {q["date_ago"].format(expr=days_ago)},
               CASE WHEN g % 50 = 0 THEN 'cancelled' ELSE 'paid' END, 100 + g % 900,
               {q["ts_ago"].format(expr="0")}, {q["ts_ago"].format(expr="0")}, 1
        FROM (SELECT g, g % {ordered} AS k FROM {q["series"].format(n=orders)}) AS o""",
    )
    conn.execute(text("ANALYZE"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--managers", type=int, default=200)
    args = parser.parse_args(argv)

    url = args.url
    if url is None:
        OUT.mkdir(exist_ok=True)
        path = OUT / "churn-bench.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    elif url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    os.environ.setdefault("CRM_INSTANCE_DIR", str(OUT))

    from app import create_app
    from app.extensions import db
    from app.models import Churn, Customer
    from app.services.churn import churn_cutoff, scan
    from app.services.setup import init_all

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ADMIN_PASSWORD": "Bench-Pass-2026!"})
    with app.app_context():
        init_all(app.appbuilder)
        pg = db.engine.dialect.name == "postgresql"
        print(f"{db.engine.dialect.name}: {args.customers:,} customers, {args.orders:,} orders")
        with db.engine.begin() as conn:
            build(conn, pg, args.customers, args.orders, args.managers, print)
        print(f"cutoff {churn_cutoff()} (CRM_CHURN_MONTHS={app.config['CHURN_MONTHS']})")
        for run in ("first scan", "second scan"):
            start = time.perf_counter()
            created = scan(db.session, today=dt.date.today())
            print(f"  {run:<11} {time.perf_counter() - start:6.2f} s   {created:>7,} warnings created")
        warned = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.status == "warning"))
        records = db.session.scalar(select(func.count()).select_from(Churn))
        print(f"  customers in warning: {warned:,}; churn records: {records:,}")


if __name__ == "__main__":
    main()
