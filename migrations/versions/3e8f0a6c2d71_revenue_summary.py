"""revenue summary tables kept current by triggers; merges the two heads

- revenue_month (month, branch_id, manager_id) and revenue_customer_year (customer_id,
  year; year 0 = all years) with amount and order count of the revenue orders (status new,
  shipped, paid), see app/models/summary.py;
- triggers on sales_order (insert / update / delete) and on customer (manager_id or
  branch_id changes moves that customer's totals) — PostgreSQL: statement-level with
  transition tables (a bulk INSERT … SELECT of 100,000 orders is one aggregate), SQLite:
  row-level;
- an order's old keys are read from its customer's all-years row, not from customer: a
  customer delete cascades to its orders after the customer row is gone;
- backfill from the existing orders, set-based.

Revision ID: 3e8f0a6c2d71
Revises: 7c1e5a9d2b40, b7e1c2d3f405
Create Date: 2026-11-25 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3e8f0a6c2d71"
down_revision = ("7c1e5a9d2b40", "b7e1c2d3f405")
branch_labels = None
depends_on = None

REVENUE = "('new', 'shipped', 'paid')"

# (index name, columns): ORDER BY amount DESC, customer_id LIMIT n straight from the index
TOP_INDEXES = [
    ("ix_revenue_customer_year_top", ["year", sa.text("amount DESC"), "customer_id"]),
    ("ix_revenue_customer_year_branch_top", ["year", "branch_id", sa.text("amount DESC"), "customer_id"]),
    ("ix_revenue_customer_year_manager_top", ["year", "manager_id", sa.text("amount DESC"), "customer_id"]),
]


def _tables():
    op.create_table(
        "revenue_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "branch_id", "manager_id", name="pk_revenue_month"),
    )
    op.create_table(
        "revenue_customer_year",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "year", name="pk_revenue_customer_year"),
    )
    for name, columns in TOP_INDEXES:
        op.create_index(name, "revenue_customer_year", columns)


# ---------------------------------------------------------------- PostgreSQL

PG_MONTH = "date_trunc('month', {d})::date"
PG_YEAR = "extract(year from {d})::int"


def _pg_apply(delta):
    """Statements adding the signed rows of `delta` (customer_id, date, amount, n, branch_id,
    manager_id) to both tables, then dropping the rows left without orders. `delta` reads
    the trigger's transition tables; it is cheap to evaluate once per statement."""
    month = PG_MONTH.format(d="d.date")
    year = PG_YEAR.format(d="d.date")
    d = f"({delta}) AS d(customer_id, date, amount, n, branch_id, manager_id)"
    return f"""
    INSERT INTO revenue_month AS t (month, branch_id, manager_id, amount, orders)
        SELECT {month}, d.branch_id, d.manager_id, sum(d.amount), sum(d.n) FROM {d} GROUP BY 1, 2, 3
        ON CONFLICT (month, branch_id, manager_id) DO UPDATE
        SET amount = t.amount + excluded.amount, orders = t.orders + excluded.orders;
    DELETE FROM revenue_month t USING (SELECT DISTINCT {month} AS month, d.branch_id, d.manager_id FROM {d}) k
        WHERE t.orders = 0 AND t.month = k.month AND t.branch_id = k.branch_id AND t.manager_id = k.manager_id;
    INSERT INTO revenue_customer_year AS t (customer_id, year, branch_id, manager_id, amount, orders)
        SELECT d.customer_id, y.year, max(d.branch_id), max(d.manager_id), sum(d.amount), sum(d.n)
        FROM {d} CROSS JOIN LATERAL (VALUES ({year}), (0)) AS y(year)
        GROUP BY 1, 2
        ON CONFLICT (customer_id, year) DO UPDATE
        SET amount = t.amount + excluded.amount, orders = t.orders + excluded.orders;
    DELETE FROM revenue_customer_year t USING (SELECT DISTINCT d.customer_id FROM {d}) k
        WHERE t.orders = 0 AND t.customer_id = k.customer_id;
    """


def _pg_added(changed=""):
    """Orders added: counted under their customer's keys."""
    return f"""SELECT o.customer_id, o.date, o.amount, 1, coalesce(c.branch_id, 0), coalesce(c.manager_id, 0)
        FROM new_rows o JOIN customer c ON c.id = o.customer_id {changed} WHERE o.status IN {REVENUE}"""


def _pg_removed(changed=""):
    """Orders removed: taken off the keys they were counted under (the customer's all-years
    row; the customer row itself is already gone when its delete cascades to the orders)."""
    return f"""SELECT o.customer_id, o.date, -o.amount, -1, y.branch_id, y.manager_id
        FROM old_rows o JOIN revenue_customer_year y ON y.customer_id = o.customer_id AND y.year = 0 {changed}
        WHERE o.status IN {REVENUE}"""


def _pg_changed(other):
    """Only the updated orders whose customer, date, amount or status changed."""
    return f"""JOIN {other} x ON x.id = o.id
        AND (x.customer_id, x.date, x.amount, x.status) IS DISTINCT FROM (o.customer_id, o.date, o.amount, o.status)"""


# PostgreSQL refuses transition tables on a trigger with a column list or several events
PG_ORDER_TRIGGERS = {
    "INSERT": ("REFERENCING NEW TABLE AS new_rows", _pg_added()),
    "DELETE": ("REFERENCING OLD TABLE AS old_rows", _pg_removed()),
    "UPDATE": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _pg_removed(_pg_changed("new_rows")) + " UNION ALL " + _pg_added(_pg_changed("old_rows")),
    ),
}

PG_CUSTOMER_MOVED = f"""
CREATE FUNCTION crm_revenue_customer_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {
    _pg_apply(
        f'''SELECT o.customer_id, o.date, -o.amount, -1, coalesce(OLD.branch_id, 0), coalesce(OLD.manager_id, 0)
        FROM sales_order o WHERE o.customer_id = NEW.id AND o.status IN {REVENUE}
        UNION ALL
        SELECT o.customer_id, o.date, o.amount, 1, coalesce(NEW.branch_id, 0), coalesce(NEW.manager_id, 0)
        FROM sales_order o WHERE o.customer_id = NEW.id AND o.status IN {REVENUE}'''
    )
}
    UPDATE revenue_customer_year SET branch_id = coalesce(NEW.branch_id, 0), manager_id = coalesce(NEW.manager_id, 0)
        WHERE customer_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER crm_revenue_customer_moved AFTER UPDATE OF branch_id, manager_id ON customer
    FOR EACH ROW WHEN (OLD.branch_id IS DISTINCT FROM NEW.branch_id OR OLD.manager_id IS DISTINCT FROM NEW.manager_id)
    EXECUTE FUNCTION crm_revenue_customer_moved();
"""


def _pg_triggers():
    for event, (referencing, delta) in PG_ORDER_TRIGGERS.items():
        name = f"crm_revenue_order_{event.lower()}"
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{_pg_apply(delta)}\n    RETURN NULL;\nEND $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON sales_order {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    op.execute(PG_CUSTOMER_MOVED)


# ---------------------------------------------------------------- SQLite

LITE_MONTH = "date({d}, 'start of month')"
LITE_YEAR = "CAST(strftime('%Y', {d}) AS INTEGER)"


def _lite_add(row, branch, manager, sign, guard):
    """Statements adding ±`row` (OLD or NEW order) under the keys (branch, manager)."""
    amount, n = f"{sign}{row}.amount", f"{sign}1"
    month, year = LITE_MONTH.format(d=f"{row}.date"), LITE_YEAR.format(d=f"{row}.date")
    keys = f"SELECT {branch} AS b, {manager} AS m"
    return f"""
    INSERT INTO revenue_month (month, branch_id, manager_id, amount, orders)
        SELECT {month}, k.b, k.m, {amount}, {n} FROM ({keys}) k WHERE {guard}
        ON CONFLICT (month, branch_id, manager_id) DO UPDATE
        SET amount = amount + excluded.amount, orders = orders + excluded.orders;
    INSERT INTO revenue_customer_year (customer_id, year, branch_id, manager_id, amount, orders)
        SELECT {row}.customer_id, y.year, k.b, k.m, {amount}, {n}
        FROM ({keys}) k, (SELECT {year} AS year UNION ALL SELECT 0) y WHERE {guard}
        ON CONFLICT (customer_id, year) DO UPDATE
        SET amount = amount + excluded.amount, orders = orders + excluded.orders;
    DELETE FROM revenue_month WHERE orders = 0 AND month = {month};
    DELETE FROM revenue_customer_year WHERE orders = 0 AND customer_id = {row}.customer_id;"""


def _lite_order(row, sign):
    """Add (sign '') or remove (sign '-') one order; a removed order leaves the keys it was
    counted under (its customer's all-years row), an added one takes its customer's. SQLite
    does not enforce foreign keys here: an order whose customer is gone is not counted."""
    if sign:
        of = f"(SELECT {{c}} FROM revenue_customer_year WHERE customer_id = {row}.customer_id AND year = 0)"
    else:
        of = f"(SELECT coalesce({{c}}, 0) FROM customer WHERE id = {row}.customer_id)"
    guard = f"{row}.status IN {REVENUE} AND {of.format(c='1')} IS NOT NULL"
    return _lite_add(row, of.format(c="branch_id"), of.format(c="manager_id"), sign, guard)


LITE_CHANGED = (
    "OLD.customer_id IS NOT NEW.customer_id OR OLD.date IS NOT NEW.date "
    "OR OLD.amount IS NOT NEW.amount OR OLD.status IS NOT NEW.status"
)

LITE_CUSTOMER_MOVED = f"""
CREATE TRIGGER crm_revenue_customer_moved AFTER UPDATE OF branch_id, manager_id ON customer
WHEN OLD.branch_id IS NOT NEW.branch_id OR OLD.manager_id IS NOT NEW.manager_id
BEGIN
    INSERT INTO revenue_month (month, branch_id, manager_id, amount, orders)
        SELECT {LITE_MONTH.format(d="o.date")}, k.b, k.m, k.sign * sum(o.amount), k.sign * count(*)
        FROM sales_order o,
             (SELECT coalesce(OLD.branch_id, 0) AS b, coalesce(OLD.manager_id, 0) AS m, -1 AS sign
              UNION ALL SELECT coalesce(NEW.branch_id, 0), coalesce(NEW.manager_id, 0), 1) k
        WHERE o.customer_id = NEW.id AND o.status IN {REVENUE}
        GROUP BY 1, 2, 3, k.sign
        ON CONFLICT (month, branch_id, manager_id) DO UPDATE
        SET amount = amount + excluded.amount, orders = orders + excluded.orders;
    DELETE FROM revenue_month WHERE orders = 0
        AND branch_id = coalesce(OLD.branch_id, 0) AND manager_id = coalesce(OLD.manager_id, 0);
    UPDATE revenue_customer_year SET branch_id = coalesce(NEW.branch_id, 0), manager_id = coalesce(NEW.manager_id, 0)
        WHERE customer_id = NEW.id;
END
"""


# the orders of a deleted customer stay behind (no foreign keys enforced) but count no more
LITE_CUSTOMER_DELETED = f"""
CREATE TRIGGER crm_revenue_customer_deleted AFTER DELETE ON customer
BEGIN
    INSERT INTO revenue_month (month, branch_id, manager_id, amount, orders)
        SELECT {LITE_MONTH.format(d="o.date")}, y.branch_id, y.manager_id, -sum(o.amount), -count(*)
        FROM sales_order o JOIN revenue_customer_year y ON y.customer_id = o.customer_id AND y.year = 0
        WHERE o.customer_id = OLD.id AND o.status IN {REVENUE}
        GROUP BY 1, 2, 3
        ON CONFLICT (month, branch_id, manager_id) DO UPDATE
        SET amount = amount + excluded.amount, orders = orders + excluded.orders;
    DELETE FROM revenue_month WHERE orders = 0;
    DELETE FROM revenue_customer_year WHERE customer_id = OLD.id;
END
"""


def _lite_triggers():
    bodies = {
        "insert": ("AFTER INSERT", _lite_order("NEW", "")),
        "delete": ("AFTER DELETE", _lite_order("OLD", "-")),
        "update": (
            f"AFTER UPDATE OF customer_id, date, amount, status ON sales_order WHEN {LITE_CHANGED}",
            _lite_order("OLD", "-") + _lite_order("NEW", ""),
        ),
    }
    for event, (when, body) in bodies.items():
        head = when if " ON " in when else f"{when} ON sales_order"
        op.execute(f"CREATE TRIGGER crm_revenue_order_{event} {head}\nBEGIN{body}\nEND")
    op.execute(LITE_CUSTOMER_MOVED)
    op.execute(LITE_CUSTOMER_DELETED)


# ---------------------------------------------------------------- backfill


def _backfill(pg):
    month = (PG_MONTH if pg else LITE_MONTH).format(d="o.date")
    year = (PG_YEAR if pg else LITE_YEAR).format(d="o.date")
    joined = f"FROM sales_order o JOIN customer c ON c.id = o.customer_id WHERE o.status IN {REVENUE}"
    keys = "coalesce(c.branch_id, 0), coalesce(c.manager_id, 0)"
    op.execute(
        f"INSERT INTO revenue_month (month, branch_id, manager_id, amount, orders) "
        f"SELECT {month}, {keys}, sum(o.amount), count(*) {joined} GROUP BY 1, 2, 3"
    )
    for period in (year, "0"):
        op.execute(
            f"INSERT INTO revenue_customer_year (customer_id, year, branch_id, manager_id, amount, orders) "
            f"SELECT o.customer_id, {period}, {keys}, sum(o.amount), count(*) {joined} "
            f"GROUP BY o.customer_id, 2, c.branch_id, c.manager_id"
        )


def upgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    _tables()
    _backfill(pg)
    if pg:
        _pg_triggers()
    else:
        _lite_triggers()


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS crm_revenue_order_{event}" + (" ON sales_order" if pg else ""))
        if pg:
            op.execute(f"DROP FUNCTION IF EXISTS crm_revenue_order_{event}()")
    op.execute("DROP TRIGGER IF EXISTS crm_revenue_customer_moved" + (" ON customer" if pg else ""))
    op.execute("DROP TRIGGER IF EXISTS crm_revenue_customer_deleted" + (" ON customer" if pg else ""))
    if pg:
        op.execute("DROP FUNCTION IF EXISTS crm_revenue_customer_moved()")
    for name, _ in reversed(TOP_INDEXES):
        op.drop_index(name, table_name="revenue_customer_year")
    op.drop_table("revenue_customer_year")
    op.drop_table("revenue_month")
