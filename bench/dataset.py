"""Build a benchmark data set set-based inside the database (PostgreSQL or SQLite).

    python -m bench.dataset --scale 10k            # SQLite file bench/out/bench-10k.db
    CRM_DATABASE_URL=postgresql://postgres@127.0.0.1/crm_bench python -m bench.dataset --scale 1m

Every row is produced by INSERT … SELECT over a number series: no Python loop per row.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import text

SCALES = {
    "10k": dict(
        customers=10_000,
        contacts=20_000,
        orders=50_000,
        activities=20_000,
        opportunities=3_000,
        services=3_000,
        users=50,
    ),
    "100k": dict(
        customers=100_000,
        contacts=200_000,
        orders=500_000,
        activities=200_000,
        opportunities=30_000,
        services=30_000,
        users=200,
    ),
    "1m": dict(
        customers=1_000_000,
        contacts=2_000_000,
        orders=5_000_000,
        activities=2_000_000,
        opportunities=300_000,
        services=300_000,
        users=500,
    ),
}
BRANCHES = 10
PRODUCTS = 200
PASSWORD = "Bench-Pass-2026!"

# syllables for company names: two-character substrings recur, as in real customer pools
CHARS = "华东新盛海天恒通达宏远金鑫瑞丰泰和安康永昌晨光星辰博睿信诚中科智能联创云峰德汇嘉禾"
TAILS = ["科技有限公司", "贸易有限公司", "实业股份有限公司", "电子有限公司", "物流有限公司", "建设集团有限公司"]
REGIONS = ["north", "east", "south", "central", "southwest", "northwest", "northeast"]
INDUSTRIES = [
    "manufacturing",
    "it",
    "finance",
    "retail",
    "construction",
    "logistics",
    "healthcare",
    "education",
    "energy",
    "food",
]
LEVELS = ["strategic", "partner", "key", "developing", "normal"]


class Sql:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, dialect):
        self.pg = dialect == "postgresql"

    def series(self, n):
        if self.pg:
            return f"generate_series(1::bigint, {n}) AS s(g)"
        return f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) SELECT g FROM s) AS s"

    def days_ago(self, expr):
        if self.pg:
            return f"(now() - (({expr}) * interval '1 day'))"
        return f"datetime('now', (-({expr})) || ' days')"

    def date_days_ago(self, expr):
        if self.pg:
            return f"(current_date - ({expr})::int)"
        return f"date('now', (-({expr})) || ' days')"

    def pick(self, values, expr):
        cases = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
        return f"(CASE ({expr}) % {len(values)} {cases} END)"

    def char(self, expr):
        start = f"1 + ({expr}) % {len(CHARS)}"
        return f"substr('{CHARS}', CAST({start} AS INTEGER), 1)"

    def now(self):
        return "now()" if self.pg else "datetime('now')"


def build(engine, scale, log=print):
    counts = SCALES[scale]
    q = Sql(engine.dialect.name)
    steps = []
    n_users = counts["users"]
    from werkzeug.security import generate_password_hash

    pw = generate_password_hash(PASSWORD)

    def step(name, sql, **params):
        steps.append((name, sql, params))

    step(
        "branches",
        f"""
        INSERT INTO branch (name, code, parent_id, created_on, changed_on, version)
        SELECT '分公司' || g, 'B' || g, (SELECT id FROM branch WHERE code = 'HQ'), {q.now()}, {q.now()}, 1
        FROM {q.series(BRANCHES)}""",
    )
    # users: 80% account managers, then agents, directors, executives
    step(
        "users",
        f"""
        INSERT INTO ab_user (first_name, last_name, username, password, active, email, branch_id, phone,
                             must_change_password, created_on, changed_on, login_count, fail_login_count)
        SELECT '员工' || g, {q.char("g * 7")}, 'bench' || g, :pw, true, 'bench' || g || '@example.com',
               (SELECT id FROM branch WHERE code = 'B' || (1 + g % {BRANCHES})), '138' || (10000000 + g), false,
               {q.now()}, {q.now()}, 0, 0
        FROM {q.series(n_users)}""",
        pw=pw,
    )
    step(
        "user roles",
        f"""
        INSERT INTO ab_user_role (user_id, role_id)
        SELECT u.id, (SELECT id FROM ab_role WHERE name = CASE
                 WHEN CAST(substr(u.username, 6) AS INTEGER) <= {int(n_users * 0.8)} THEN 'AccountManager'
                 WHEN CAST(substr(u.username, 6) AS INTEGER) <= {int(n_users * 0.9)} THEN 'ServiceAgent'
                 WHEN CAST(substr(u.username, 6) AS INTEGER) <= {int(n_users * 0.95)} THEN 'SalesDirector'
                 ELSE 'Executive' END)
        FROM ab_user u WHERE u.username LIKE 'bench%'""",
    )
    am = int(n_users * 0.8)
    step(
        "products",
        f"""
        INSERT INTO product (name, model, batch, unit, price, created_on, changed_on, version)
        SELECT '产品' || g, 'M' || g, 'P' || (g % 12), '件', 50 + (g * 37) % 5000, {q.now()}, {q.now()}, 1
        FROM {q.series(PRODUCTS)}""",
    )
    n = counts["customers"]
    # manager: bench1..bench{am}; branch follows the manager
    step(
        "customers",
        f"""
        INSERT INTO customer (no, name, name_norm, region, industry, level, source, satisfaction, credit,
                              manager_id, branch_id, status, address, phone, phone_norm,
                              created_on, changed_on, version, created_by_id)
        SELECT 'KB' || (100000000 + g),
               {q.char("g")} || {q.char("g / 3")} || {q.char("g / 7 + 5")} || {q.char("g / 11 + 9")} || {q.pick(TAILS, "g")},
               {q.char("g")} || {q.char("g / 3")} || {q.char("g / 7 + 5")} || {q.char("g / 11 + 9")},
               {q.pick(REGIONS, "g / 13")}, {q.pick(INDUSTRIES, "g / 17")}, {q.pick(LEVELS, "g / 5")}, 'web',
               1 + g % 5, 1 + (g / 7) % 5,
               u.id, u.branch_id, 'normal', '某市某区某路' || (g % 999) || '号', '021' || (60000000 + g), '021' || (60000000 + g),
               {q.days_ago("g % 1500")}, {q.now()}, 1, u.id
        FROM {q.series(n)} JOIN ab_user u ON u.username = 'bench' || (1 + g % {am})""",
    )
    step(
        "contacts",
        f"""
        INSERT INTO contact (customer_id, name, gender, position, phone, mobile, is_primary, created_on, changed_on, version)
        SELECT c.id, {q.char("g")} || '经理', CASE WHEN g % 2 = 0 THEN '男' ELSE '女' END, '采购经理',
               c.phone, '139' || (10000000 + g % 90000000), g <= {n}, {q.now()}, {q.now()}, 1
        FROM {q.series(counts["contacts"])} JOIN customer c ON c.no = 'KB' || (100000000 + 1 + (g - 1) % {n})""",
    )
    step(
        "orders",
        f"""
        INSERT INTO sales_order (customer_id, no, date, status, amount, created_on, changed_on, version)
        SELECT c.id, 'DB' || (100000000 + g), {q.date_days_ago("(g * 7) % 730")},
               {q.pick(["paid", "paid", "shipped", "new", "cancelled"], "g")},
               (1 + g % 9) * (50 + ((1 + g % {PRODUCTS}) * 37) % 5000), {q.now()}, {q.now()}, 1
        FROM {q.series(counts["orders"])} JOIN customer c ON c.no = 'KB' || (100000000 + 1 + (g * 7919) % {n})""",
    )
    step(
        "order lines",
        f"""
        INSERT INTO order_line (order_id, product_id, quantity, unit, price, created_on, changed_on)
        SELECT o.id, p.id, 1 + CAST(substr(o.no, 3) AS INTEGER) % 9, '件', p.price, {q.now()}, {q.now()}
        FROM sales_order o JOIN product p ON p.name = '产品' || (1 + CAST(substr(o.no, 3) AS INTEGER) % {PRODUCTS})
        WHERE o.no LIKE 'DB%'""",
    )
    step(
        "activities",
        f"""
        INSERT INTO activity (customer_id, date, type, place, title, user_id, created_on, changed_on, version)
        SELECT c.id, {q.date_days_ago("g % 700")}, {q.pick(["visit", "phone", "meeting", "email"], "g")}, '客户公司',
               '例行拜访' || g, c.manager_id, {q.now()}, {q.now()}, 1
        FROM {q.series(counts["activities"])} JOIN customer c ON c.no = 'KB' || (100000000 + 1 + (g * 31) % {n})""",
    )
    step(
        "opportunities",
        f"""
        INSERT INTO opportunity (source, customer_name, title, probability, expected_revenue, expected_close,
                                 contact, phone, assignee_id, assigned_on, branch_id, status, created_by_id,
                                 created_on, changed_on, version)
        SELECT 'web', '潜在客户' || g, '采购意向' || g, g % 101, 1000 * (1 + g % 500), {q.date_days_ago("-(g % 90)")},
               '联系人' || g, '137' || (10000000 + g),
               CASE WHEN g % 4 = 0 THEN NULL ELSE u.id END, CASE WHEN g % 4 = 0 THEN NULL ELSE {q.now()} END,
               u.branch_id, {q.pick(["unassigned", "assigned", "assigned", "won", "lost"], "g")}, u.id,
               {q.days_ago("g % 365")}, {q.now()}, 1
        FROM {q.series(counts["opportunities"])} JOIN ab_user u ON u.username = 'bench' || (1 + g % {am})""",
    )
    step(
        "opportunity status fix",
        "UPDATE opportunity SET assignee_id = NULL, assigned_on = NULL WHERE status = 'unassigned'",
    )
    step(
        "plans",
        f"""
        INSERT INTO plan (opportunity_id, date, todo, result, created_on, changed_on, version)
        SELECT o.id, {q.date_days_ago("(o.id + k.g) % 30 - 10")}, '电话回访' || k.g, NULL, {q.now()}, {q.now()}, 1
        FROM opportunity o CROSS JOIN {q.series(2).replace(" AS s(g)", " AS k(g)").replace(") AS s", ") AS k")}
        WHERE o.status IN ('assigned', 'won', 'lost')""",
    )
    step(
        "services",
        f"""
        INSERT INTO service (type, title, customer_id, branch_id, request, status, assignee_id, created_by_id,
                             created_on, changed_on, version)
        SELECT {q.pick(["consult", "complaint", "suggestion"], "g")}, '服务请求' || g, c.id, c.branch_id, '客户来电',
               {q.pick(["new", "assigned", "handled", "archived"], "g")},
               CASE WHEN g % 4 = 0 THEN NULL ELSE c.manager_id END, c.manager_id, {q.days_ago("g % 365")}, {q.now()}, 1
        FROM {q.series(counts["services"])} JOIN customer c ON c.no = 'KB' || (100000000 + 1 + (g * 13) % {n})""",
    )

    # churn records for 5% of customers (a third still warnings), their status on the customer
    step(
        "churn",
        f"""
        INSERT INTO churn (customer_id, manager_id, status, reason, lost_on, created_on, changed_on, version)
        SELECT c.id, c.manager_id, CASE WHEN c.id % 3 = 0 THEN 'warning' ELSE 'lost' END,
               {q.pick(["price", "quality", "service", "competitor"], "c.id")},
               {q.date_days_ago("c.id % 700")}, {q.now()}, {q.now()}, 1
        FROM customer c WHERE c.id % 20 = 0 AND c.no LIKE 'KB%'""",
    )
    step(
        "customer churn status",
        "UPDATE customer SET status = (SELECT ch.status FROM churn ch WHERE ch.customer_id = customer.id) "
        "WHERE id IN (SELECT customer_id FROM churn)",
    )
    step(
        "campaigns",
        f"""
        INSERT INTO campaign (name, channel, start_date, budget, cost, responses, created_on, changed_on, version)
        SELECT 'bench 活动 ' || g, 'online', {q.date_days_ago("400 - g * 10")}, 10000 * g, 1000 * g, 10 * g,
               {q.now()}, {q.now()}, 1
        FROM {q.series(20)}""",
    )
    # closed opportunities belong to a customer and a campaign (funnel, campaign ROI)
    step(
        "opportunity links",
        f"""
        UPDATE opportunity SET campaign_id = (SELECT min(id) FROM campaign) + id % 20,
               customer_id = (SELECT min(id) FROM customer) + (id * 7) % {n},
               closed_on = created_on
        WHERE status IN ('won', 'lost')""",
    )

    timings = []
    with engine.begin() as conn:
        if conn.execute(text("SELECT count(*) FROM customer WHERE no LIKE 'KB%'")).scalar():
            log("data set already present: nothing to do")
            return []
    for name, sql, params in steps:
        start = time.perf_counter()
        with engine.begin() as conn:
            res = conn.execute(text(sql), params)
        took = time.perf_counter() - start
        timings.append((name, res.rowcount, took))
        log(f"{name:<24} {res.rowcount:>10,} rows  {took:7.1f} s")
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return timings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="10k")
    args = parser.parse_args(argv)
    if not os.environ.get("CRM_DATABASE_URL"):
        out = Path(__file__).with_name("out")
        out.mkdir(exist_ok=True)
        os.environ["CRM_DATABASE_URL"] = f"sqlite:///{out / f'bench-{args.scale}.db'}"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from app import create_app
    from app.extensions import db
    from app.services.setup import init_all

    app = create_app()
    with app.app_context():
        init_all(app.appbuilder)
        start = time.perf_counter()
        build(db.engine, args.scale)
        print(f"total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
