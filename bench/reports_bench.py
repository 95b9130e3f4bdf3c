"""Time the cockpit and every report page (server-side, through the real app).

    python -m bench.reports_bench --scale demo        # ~2,000 customers, 50,000 orders (SQLite file)
    python -m bench.reports_bench --scale 1m-orders   # 20,000 customers, 1,000,000 orders
    CRM_DATABASE_URL=postgresql://postgres@127.0.0.1/crm_reports_bench python -m bench.reports_bench --scale 1m-orders

Builds the data set with bench/dataset.py (set-based INSERT … SELECT) plus churn records and
campaigns, then requests each page N times as a director (scope all) and as an account
manager (scope own): median and p95 in ms, and the number of SQL statements per page.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import dataset  # noqa: E402
from bench.run import StatementCounter, login, percentile, time_page  # noqa: E402

SCALES = {
    "demo": dict(
        customers=2_000, contacts=2_000, orders=50_000, activities=2_000, opportunities=2_000, services=2_000, users=20
    ),
    "1m-orders": dict(
        customers=20_000,
        contacts=20_000,
        orders=1_000_000,
        activities=20_000,
        opportunities=20_000,
        services=20_000,
        users=50,
    ),
}
PAGES = [
    ("cockpit", "/reports/cockpit/"),
    ("contribution", "/reports/contribution/"),
    ("composition by level", "/reports/composition/?by=level"),
    ("service", "/reports/service/"),
    ("churn by month", "/reports/churn/"),
    ("funnel", "/reports/funnel/"),
    ("campaign ROI", "/reports/campaign_roi/"),
    ("workbench", "/"),
]


def add_churn_and_campaigns(engine):
    """What dataset.py leaves out: confirmed churn (5% of customers) and 20 campaigns."""
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM campaign WHERE name LIKE 'bench%'")).scalar():
            return
        day = "(current_date - (c.id % 700)::int)" if pg else "date('now', (-(c.id % 700)) || ' days')"
        conn.execute(
            text(
                f"""INSERT INTO churn (customer_id, manager_id, status, reason, lost_on, created_on, changed_on, version)
                SELECT c.id, c.manager_id, CASE WHEN c.id % 3 = 0 THEN 'warning' ELSE 'lost' END,
                       CASE c.id % 4 WHEN 0 THEN 'price' WHEN 1 THEN 'quality' WHEN 2 THEN 'service' ELSE 'competitor' END,
                       {day}, {"now()" if pg else "datetime('now')"}, {"now()" if pg else "datetime('now')"}, 1
                FROM customer c WHERE c.id % 20 = 0"""
            )
        )
        start = "(current_date - 400)" if pg else "date('now', '-400 days')"
        for i in range(1, 21):
            conn.execute(
                text(
                    f"INSERT INTO campaign (name, channel, start_date, budget, cost, responses, created_on, changed_on, version) "
                    f"VALUES (:name, 'online', {start}, 10000, :cost, :resp, :now, :now, 1)"
                ),
                {"name": f"bench 活动 {i}", "cost": 1000 * i, "resp": 10 * i, "now": "2026-01-01 00:00:00"},
            )
        conn.execute(
            text(
                """UPDATE opportunity SET campaign_id = (SELECT min(id) FROM campaign) + id % 20,
                       customer_id = (SELECT min(id) FROM customer) + (id * 7) % (SELECT count(*) FROM customer),
                       closed_on = created_on
                   WHERE status IN ('won', 'lost')"""
            )
        )
        conn.execute(text("ANALYZE"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args(argv)
    dataset.SCALES.update(SCALES)
    if not os.environ.get("CRM_DATABASE_URL"):
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        os.environ["CRM_DATABASE_URL"] = f"sqlite:///{out / f'reports-{args.scale}.db'}"
    os.environ.setdefault("CRM_INSTANCE_DIR", str(ROOT / "bench" / "out" / "instance"))
    from app import create_app
    from app.extensions import db
    from app.services.setup import init_all

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        init_all(app.appbuilder)
        dataset.build(db.engine, args.scale)
        add_churn_and_campaigns(db.engine)
        engine = db.engine
        with engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("customer", "sales_order")}
            users = conn.execute(
                text(
                    "SELECT u.username, r.name FROM ab_user u JOIN ab_user_role ur ON ur.user_id = u.id "
                    "JOIN ab_role r ON r.id = ur.role_id WHERE u.username LIKE 'bench%' ORDER BY u.id"
                )
            ).all()
        counter = StatementCounter(engine)
        print(f"{engine.dialect.name}: {counts['customer']:,} customers, {counts['sales_order']:,} orders")
        for role in ("SalesDirector", "AccountManager"):
            username = next(u.username for u in users if u.name == role)
            client = login(app, username, dataset.PASSWORD)
            for name, url in PAGES:
                measured = time_page(client, counter, url, args.requests, warmup=2)
                if measured is None:
                    print(f"{name:<22} {role:<15} not available")
                    continue
                median, p95, sql = measured[:3]
                print(f"{name:<22} {role:<15} median {median:8.1f} ms  p95 {p95:8.1f} ms  {sql:3d} SQL")


__all__ = ["main", "percentile", "statistics"]

if __name__ == "__main__":
    main()
