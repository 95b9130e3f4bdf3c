"""客户服务分析: ticket count by type per month or year, average satisfaction."""

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Service, dict_items, dict_label
from app.reports.base import (
    STR_EQUAL,
    Chart,
    Col,
    OwnFilter,
    Section,
    date_link_filters,
    list_url,
    month_bounds,
    month_of,
    year_of,
)
from app.security import scope_clause

TITLE = _l("Customer service")
OWN = {
    "period": OwnFilter(_l("Period"), lambda: [("month", _l("Month")), ("year", _l("Year"))], default="month"),
    "type": OwnFilter(_l("Service type"), lambda: [("", "")] + dict_items("service_type", db.session), default=""),
}


def _bounds(period):
    if len(period) == 7:
        return month_bounds(period)
    year = int(period)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def build(f, user):
    period = (month_of if f.own["period"] == "month" else year_of)(Service.created_on).label("period")
    stmt = (
        select(
            period,
            Service.type,
            func.count(Service.id).label("tickets"),
            func.avg(Service.satisfaction).label("satisfaction"),
        )
        .where(scope_clause(Service, user), *f.dates(Service.created_on), *f.owner(Service.branch_id, None))
        .group_by(period, Service.type)
        .order_by(period, Service.type)
    )
    if f.manager_id:  # the customer's manager; every ticket has a customer, joined only for this
        stmt = stmt.join(Customer, Customer.id == Service.customer_id).where(Customer.manager_id == f.manager_id)
    if f.own["type"]:
        stmt = stmt.where(Service.type == f.own["type"])
    rows = []
    for r in db.session.execute(stmt):
        start, end = _bounds(r.period)
        rows.append(
            {
                "period": r.period,
                "type": r.type,
                "type_label": dict_label("service_type", r.type),
                "tickets": r.tickets,
                "satisfaction": round(float(r.satisfaction), 2) if r.satisfaction is not None else None,
                "_link": list_url(
                    "serviceview", (STR_EQUAL, "type", r.type), *date_link_filters("created_on", start, end)
                ),
            }
        )
    columns = [
        Col("period", _l("Period")),
        Col("type_label", _l("Service type")),
        Col("tickets", _l("Tickets"), "int"),
        Col("satisfaction", _l("Average satisfaction"), "num"),
    ]
    chart = Chart("bar", x="period", y=["tickets"], series="type_label", y_title=_l("Tickets"))
    return [Section("service", TITLE, columns, rows, chart)], {"tickets": sum(r["tickets"] for r in rows)}
