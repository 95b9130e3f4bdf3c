"""客户构成分析: customer count by level / credit / satisfaction / region."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, dict_label
from app.reports.base import INT_EQUAL, STR_EQUAL, Chart, Col, OwnFilter, Section, list_url
from app.security import scope_clause

TITLE = _l("Customer composition")
BY = {
    # by → (column, dictionary type or None, FAB filter index, label)
    "level": (Customer.level, "customer_level", STR_EQUAL, _l("Customer level")),
    "credit": (Customer.credit, None, INT_EQUAL, _l("Credit")),
    "satisfaction": (Customer.satisfaction, None, INT_EQUAL, _l("Satisfaction")),
    "region": (Customer.region, "region", STR_EQUAL, _l("Region")),
}
OWN = {
    "by": OwnFilter(_l("By"), lambda: [(k, v[3]) for k, v in BY.items()], default="level"),
}


def build(f, user):
    by = f.own["by"]
    column, dict_type, flt, label = BY[by]
    stmt = (
        select(column.label("value"), func.count(Customer.id).label("customers"))
        .where(scope_clause(Customer, user), *f.dates(Customer.created_on))
        .where(*f.owner(Customer.branch_id, Customer.manager_id))
        .group_by(column)
        .order_by(column)
    )
    result = db.session.execute(stmt).all()
    total = sum(r.customers for r in result)
    rows = []
    for r in result:
        if r.value is None:
            name = "—"
        elif dict_type:
            name = dict_label(dict_type, r.value)
        else:
            name = "★" * int(r.value)
        link = None
        if r.value is not None:
            extra = [(0, "branch", f.branch_id)] if f.branch_id else []
            link = list_url("customerview", (flt, by, r.value), *extra)
        rows.append(
            {
                "value": r.value,
                "label": name,
                "customers": r.customers,
                "share": round(r.customers / total, 4) if total else 0,
                "_link": link,
            }
        )
    columns = [
        Col("label", label),
        Col("customers", _l("Number of customers"), "int"),
        Col("share", _l("Share"), "pct"),
    ]
    chart = Chart("pie", x="label", y=["customers"])
    return [Section(by, label, columns, rows, chart)], {"total": total}
