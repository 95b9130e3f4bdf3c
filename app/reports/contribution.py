"""客户贡献分析: order amount per customer for a date range, top N."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Order
from app.reports.base import Chart, Col, OwnFilter, Section, money
from app.security import scope_clause

TITLE = _l("Customer contribution")
OWN = {
    "top": OwnFilter(_l("Top"), lambda: [(n, str(n)) for n in (10, 20, 50, 100)], default=10, kind="int"),
}
REVENUE_STATUSES = ("new", "shipped", "paid")  # cancelled orders bring no revenue


def order_filters(f, user):
    """Orders in the user's scope and the filters: the base of every revenue figure."""
    return [
        Order.status.in_(REVENUE_STATUSES),
        scope_clause(Customer, user),
        *f.dates(Order.date),
        *f.owner(Customer.branch_id, Customer.manager_id),
    ]


def build(f, user):
    amount = func.sum(Order.amount)
    stmt = (
        select(Customer.id, Customer.name, amount.label("amount"), func.count(Order.id).label("orders"))
        .join(Customer, Customer.id == Order.customer_id)
        .where(*order_filters(f, user))
        .group_by(Customer.id, Customer.name)
        .order_by(amount.desc(), Customer.id)
        .limit(f.own["top"])
    )
    total = db.session.execute(
        select(func.coalesce(func.sum(Order.amount), 0))
        .join(Customer, Customer.id == Order.customer_id)
        .where(*order_filters(f, user))
    ).scalar()
    total = money(total)
    rows = [
        {
            "rank": i,
            "customer_id": r.id,
            "customer": r.name,
            "amount": money(r.amount),
            "orders": r.orders,
            "share": round(money(r.amount) / total, 4) if total else 0,
            "_link": f"/customerview/show/{r.id}",
        }
        for i, r in enumerate(db.session.execute(stmt), 1)
    ]
    columns = [
        Col("rank", _l("Rank"), "int"),
        Col("customer", _l("Customer")),
        Col("amount", _l("Order amount"), "money"),
        Col("orders", _l("Orders"), "int"),
        Col("share", _l("Share of total"), "pct"),
    ]
    chart = Chart("bar", x="customer", y=["amount"], y_title=_l("Order amount"))
    return [Section("contribution", TITLE, columns, rows, chart)], {"total": total}
