"""Revenue summary tables (app/models/summary.py): whatever writes orders or moves a
customer — ORM, Core bulk insert, update, cancel, delete — the triggers keep both tables
equal to a fresh GROUP BY over sales_order."""

import datetime as dt

import pytest
from sqlalchemy import delete, func, insert, select, update

from tests import factories as f

TODAY = dt.date.today()
LAST_YEAR = dt.date(TODAY.year - 1, 6, 15)


def _fresh():
    """(by month, by customer-year) computed from the orders and customers as they are now."""
    from app.extensions import db
    from app.models import REVENUE_STATUSES, Customer, Order

    rows = db.session.execute(
        select(Order.date, Order.amount, Order.customer_id, Customer.branch_id, Customer.manager_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.status.in_(REVENUE_STATUSES))
    ).all()
    months, years = {}, {}
    for r in rows:
        keys = (r.branch_id or 0, r.manager_id or 0)
        for table, key in (
            (months, (r.date.replace(day=1), *keys)),
            (years, (r.customer_id, r.date.year, *keys)),
            (years, (r.customer_id, 0, *keys)),
        ):
            amount, n = table.get(key, (0.0, 0))
            table[key] = (round(amount + float(r.amount), 2), n + 1)
    return months, years


def _summary():
    from app.extensions import db
    from app.models import RevenueCustomerYear, RevenueMonth

    db.session.expire_all()
    months = {
        (r.month, r.branch_id, r.manager_id): (round(float(r.amount), 2), r.orders)
        for r in db.session.execute(select(RevenueMonth)).scalars()
    }
    years = {
        (r.customer_id, r.year, r.branch_id, r.manager_id): (round(float(r.amount), 2), r.orders)
        for r in db.session.execute(select(RevenueCustomerYear)).scalars()
    }
    return months, years


def assert_summary_current():
    assert _summary() == _fresh()


def _bulk_orders(customer_id, rows):
    """What the spreadsheet import, demo data and bench do: one Core INSERT for many orders."""
    from app.extensions import db
    from app.models import Order

    now = dt.datetime.now()
    db.session.execute(
        insert(Order.__table__),
        [
            {
                "customer_id": customer_id,
                "no": f"BULK-{customer_id}-{i}",
                "date": date,
                "status": status,
                "amount": amount,
                "version": 1,
                "created_on": now,
                "changed_on": now,
            }
            for i, (date, status, amount) in enumerate(rows)
        ],
    )
    db.session.commit()


@pytest.fixture
def two_customers(ctx):
    return f.customer("am1"), f.customer("am2")


def test_orm_insert_update_cancel_delete(ctx, two_customers):
    from app.extensions import db
    from app.models import Order, OrderLine

    a, b = two_customers
    first = f.order(a, ((2, 100),), date=TODAY)
    f.order(a, ((1, 50),), date=LAST_YEAR, status="new")
    f.order(b, ((1, 70),), date=TODAY, status="cancelled")
    assert_summary_current()

    product = f.product()
    order = db.session.get(Order, first)
    order.lines.append(OrderLine(product_id=product, quantity=3, price=10))  # amount 230
    order.date = LAST_YEAR
    db.session.commit()
    assert_summary_current()

    for values in ({"status": "cancelled"}, {"status": "paid", "customer_id": b}):
        order = db.session.get(Order, first)
        for name, value in values.items():
            setattr(order, name, value)
        db.session.commit()
        assert_summary_current()

    db.session.delete(db.session.get(Order, first))
    db.session.commit()
    assert_summary_current()


def test_core_bulk_insert_update_and_delete(ctx, two_customers):
    from app.extensions import db
    from app.models import Order

    a, b = two_customers
    _bulk_orders(a, [(TODAY, "paid", 10.5), (TODAY, "new", 20), (LAST_YEAR, "shipped", 30), (TODAY, "cancelled", 99)])
    _bulk_orders(b, [(TODAY, "paid", 7), (LAST_YEAR, "paid", 8)])
    assert_summary_current()

    db.session.execute(update(Order).where(Order.customer_id == a).values(status="cancelled"))
    db.session.commit()
    assert_summary_current()

    db.session.execute(update(Order).where(Order.customer_id == b).values(amount=Order.amount * 2))
    db.session.execute(update(Order).where(Order.customer_id == a).values(status="paid", date=LAST_YEAR))
    db.session.commit()
    assert_summary_current()

    db.session.execute(delete(Order).where(Order.customer_id == a))
    db.session.commit()
    assert_summary_current()


def test_customer_moved_to_another_manager_moves_its_totals(ctx, users, two_customers):
    from app.extensions import db
    from app.models import Customer, RevenueMonth

    a, b = two_customers
    f.order(a, ((1, 100),), date=TODAY)
    f.order(a, ((1, 40),), date=LAST_YEAR)
    f.order(b, ((1, 5),), date=TODAY)
    customer = db.session.get(Customer, a)
    am2 = f.user("am2")
    customer.manager_id, customer.branch_id = am2.id, am2.branch_id
    db.session.commit()
    assert_summary_current()
    am1_rows = select(func.count()).select_from(RevenueMonth).where(RevenueMonth.manager_id == users["am1"])
    assert db.session.execute(am1_rows).scalar() == 0  # nothing left behind under the old manager

    db.session.execute(update(Customer).where(Customer.id == b).values(manager_id=None, branch_id=None))
    db.session.commit()
    assert_summary_current()


def test_customer_delete_takes_its_orders_out(ctx, two_customers):
    from app.extensions import db
    from app.models import Customer

    a, b = two_customers
    f.order(a, ((1, 100),), date=TODAY)
    f.order(b, ((1, 5),), date=TODAY)
    db.session.delete(db.session.get(Customer, a))
    db.session.commit()
    assert_summary_current()
    assert {key[0] for key in _summary()[1]} == {b}


@pytest.mark.parametrize(
    "params",
    [
        {},  # all years: the all-years rows
        {"year": TODAY.year - 1},  # one whole year
        {"date_from": f"{TODAY.year - 1}-01-01", "date_to": f"{TODAY.year}-12-31"},  # two whole years
        {"date_from": f"{TODAY.year - 1}-06-15", "date_to": f"{TODAY.year}-12-31"},  # a partial year at the start
        {"date_from": f"{TODAY.year - 1}-06-16"},
        {"date_to": f"{TODAY.year - 1}-06-15"},
        {"date_from": f"{TODAY.year - 1}-02-01", "date_to": f"{TODAY.year - 1}-06-15"},  # inside one year
    ],
)
def test_contribution_from_summary_equals_orders(api, ctx, two_customers, params):
    """Whole years come from the summary, the days at the edges of a range from the orders."""
    from app.extensions import db
    from app.models import Customer, Order

    a, b = two_customers
    f.order(a, ((1, 100),), date=TODAY)
    f.order(a, ((1, 40),), date=LAST_YEAR)
    f.order(b, ((1, 5),), date=LAST_YEAR + dt.timedelta(days=1))
    f.order(b, ((1, 500),), date=dt.date(TODAY.year - 1, 1, 1), status="cancelled")
    r = api("director").get("/api/v1/report/contribution", query_string=params)
    assert r.status_code == 200
    start = dt.date.fromisoformat(params["date_from"]) if "date_from" in params else dt.date.min
    end = dt.date.fromisoformat(params["date_to"]) if "date_to" in params else dt.date.max
    if "year" in params:
        start, end = dt.date(params["year"], 1, 1), dt.date(params["year"], 12, 31)
    expected = {}
    for o in db.session.execute(select(Order).join(Customer)).scalars():
        if o.status != "cancelled" and start <= o.date <= end:
            expected[o.customer_id] = expected.get(o.customer_id, 0) + float(o.amount)
    assert {row["customer_id"]: row["amount"] for row in r.json["rows"]} == pytest.approx(expected)
    assert r.json["summary"]["total"] == pytest.approx(sum(expected.values()))
