"""客户贡献分析: order amount per customer for a date range, top N."""

from flask_babel import lazy_gettext as _l

from app.reports import revenue
from app.reports.base import Chart, Col, OwnFilter, Section, money

TITLE = _l("Customer contribution")
OWN = {
    "top": OwnFilter(_l("Top"), lambda: [(n, str(n)) for n in (10, 20, 50, 100)], default=10, kind="int"),
}


def build(f, user):
    """Top N from the summary tables (app/reports/revenue.py), same numbers as the orders."""
    top = revenue.top_customers(f, user, f.own["top"])
    total = money(revenue.total(f, user))
    rows = [
        {
            "rank": i,
            "customer_id": r.customer_id,
            "customer": r.name,
            "amount": money(r.amount),
            "orders": int(r.orders),
            "share": round(money(r.amount) / total, 4) if total else 0,
            "_link": f"/customerview/show/{r.customer_id}",
        }
        for i, r in enumerate(top, 1)
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
