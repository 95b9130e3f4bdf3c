"""客户流失分析: confirmed churn by month, by reason, by manager; the list behind it."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import Churn, CrmUser, Customer, dict_label
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
)
from app.security import scope_clause

TITLE = _l("Customer churn analysis")
OWN = {
    "by": OwnFilter(
        _l("By"),
        lambda: [("month", _l("Month")), ("reason", _l("Churn reason")), ("manager", _l("Account manager"))],
        default="month",
    ),
}
LOST = (STR_EQUAL, "status", "lost")


def build(f, user):
    by = f.own["by"]
    where = [
        Churn.status == "lost",
        scope_clause(Churn, user),
        *f.dates(Churn.lost_on),
        *f.owner(Customer.branch_id, Churn.manager_id),
    ]
    count = func.count(Churn.id).label("customers")
    base = select(count).select_from(Churn).join(Customer, Customer.id == Churn.customer_id).where(*where)
    if by == "month":
        key = month_of(Churn.lost_on).label("key")
        stmt = base.add_columns(key).group_by(key).order_by(key)
    elif by == "reason":
        key = Churn.reason.label("key")
        stmt = base.add_columns(key).group_by(Churn.reason).order_by(count.desc(), Churn.reason)
    else:
        key = Churn.manager_id.label("key")
        stmt = (
            base.add_columns(key, CrmUser.first_name, CrmUser.last_name, CrmUser.username)
            .outerjoin(CrmUser, CrmUser.id == Churn.manager_id)
            .group_by(Churn.manager_id, CrmUser.first_name, CrmUser.last_name, CrmUser.username)
            .order_by(count.desc(), Churn.manager_id)
        )
    rows = []
    for r in db.session.execute(stmt):
        if by == "month":
            label = r.key or "—"
            link = list_url("churnview", LOST, *date_link_filters("lost_on", *month_bounds(r.key))) if r.key else None
        elif by == "reason":
            label = dict_label("churn_reason", r.key) if r.key else "—"
            link = list_url("churnview", LOST, (STR_EQUAL, "reason", r.key)) if r.key else list_url("churnview", LOST)
        else:
            label = f"{r.last_name or ''}{r.first_name or ''}".strip() or r.username or "—"
            link = list_url("churnview", LOST)
        rows.append({"key": r.key, "label": label, "customers": r.customers, "_link": link})
    title = dict(OWN["by"].choices())[by]
    columns = [Col("label", title), Col("customers", _l("Lost customers"), "int")]
    chart = Chart("bar" if by == "month" else "hbar", x="label", y=["customers"], y_title=_l("Lost customers"))
    return [Section(by, title, columns, rows, chart)], {"total": sum(r["customers"] for r in rows)}
