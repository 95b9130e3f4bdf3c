"""驾驶舱: revenue this month / year against last year, new customers, won vs lost,
open and overdue tickets, churn warnings, top customers — for one reference year."""

import datetime as dt

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, null, select, union_all

from app.extensions import db
from app.models import Churn, Customer, Opportunity, Service, dict_label
from app.models.churn import CHURN_STATUSES, OPEN_CHURN_STATUSES
from app.reports import revenue
from app.reports.base import (
    STR_EQUAL,
    STR_NOT_EQUAL,
    Chart,
    Col,
    Filters,
    Section,
    date_link_filters,
    list_url,
    money,
    month_bounds,
    month_of,
)
from app.security import scope_clause

TITLE = _l("Cockpit")
OWN = {}
TOP = 10


def reference(f, today=None):
    """(year, month) the cockpit is about: this month, or December of a past year."""
    today = today or dt.date.today()
    year = f.year or today.year
    return year, today.month if year == today.year else 12


def revenue_section(f, user, year, month):
    by_month = revenue.month_totals(f, user, dt.date(year - 1, 1, 1), dt.date(year, 12, 1))
    by_month = {ym: money(amount) for ym, amount in by_month.items()}
    rows = []
    for m in range(1, 13):
        this, last = f"{year}-{m:02d}", f"{year - 1}-{m:02d}"
        rows.append(
            {
                "month": m,
                "label": f"{m:02d}",
                "this_year": by_month.get(this, 0.0) if m <= month else None,
                "last_year": by_month.get(last, 0.0),
                "_link": list_url("orderview", *date_link_filters("date", *month_bounds(this))),
            }
        )
    this_ytd = round(sum(r["this_year"] or 0 for r in rows[:month]), 2)
    last_ytd = round(sum(r["last_year"] for r in rows[:month]), 2)
    kpis = {
        "revenue_month": rows[month - 1]["this_year"] or 0.0,
        "revenue_month_last_year": rows[month - 1]["last_year"],
        "revenue_ytd": this_ytd,
        "revenue_ytd_last_year": last_ytd,
        "revenue_growth": round(this_ytd / last_ytd - 1, 4) if last_ytd else None,
    }
    section = Section(
        "revenue",
        _l("Revenue: this year against last year"),
        [
            Col("label", _l("Month")),
            Col("this_year", _l("This year"), "money"),
            Col("last_year", _l("Last year"), "money"),
        ],
        rows,
        Chart("line", x="label", y=["this_year", "last_year"], y_title=_l("Order amount")),
    )
    return section, kpis


# ---------------------------------------------------------------- the small aggregates
# New customers, won vs lost, open tickets and churn warnings are four small GROUP BYs; they
# go to the database as one UNION ALL of (section, key, n, value) rows, one statement.


def new_customers_window(year, month):
    """First and last day of the 12 months ending with the reference month."""
    return dt.date(year - 1 + (month == 12), month % 12 + 1, 1), month_bounds(f"{year}-{month:02d}")[1]


def new_customers_query(f, user, year, month):
    start, end = new_customers_window(year, month)
    window = Filters(date_from=start, date_to=end, branch_id=f.branch_id, manager_id=f.manager_id)
    ym = month_of(Customer.created_on)
    return (
        select(literal("new_customers").label("section"), ym.label("key"), func.count().label("n"), null())
        .where(scope_clause(Customer, user), *window.dates(Customer.created_on))
        .where(*window.owner(Customer.branch_id, Customer.manager_id))
        .group_by(ym)
    )


def won_lost_query(f, user, year):
    window = Filters(
        date_from=dt.date(year, 1, 1), date_to=dt.date(year, 12, 31), branch_id=f.branch_id, manager_id=f.manager_id
    )
    return (
        select(literal("won_lost"), Opportunity.status, func.count(), func.sum(Opportunity.expected_revenue))
        .where(Opportunity.status.in_(("won", "lost")), scope_clause(Opportunity, user))
        .where(*window.dates(Opportunity.closed_on), *window.owner(Opportunity.branch_id, Opportunity.assignee_id))
        .group_by(Opportunity.status)
    )


def tickets_query(f, user, now=None):
    """Open tickets and, as value, the overdue ones, per type. The customer is joined only
    for the manager filter (every ticket has one)."""
    now = now or dt.datetime.now()
    due = now - dt.timedelta(days=current_app.config.get("SERVICE_OVERDUE_DAYS", 3))
    stmt = (
        select(literal("tickets"), Service.type, func.count(), func.sum(case((Service.created_on < due, 1), else_=0)))
        .where(Service.status != "archived", scope_clause(Service, user), *f.owner(Service.branch_id, None))
        .group_by(Service.type)
    )
    if f.manager_id:
        stmt = stmt.join(Customer, Customer.id == Service.customer_id).where(Customer.manager_id == f.manager_id)
    return stmt


def churn_query(f, user):
    """Open churn records per status; the customer is joined only for the branch filter."""
    stmt = (
        select(literal("churn"), Churn.status, func.count(), null())
        .where(Churn.status.in_(OPEN_CHURN_STATUSES), scope_clause(Churn, user), *f.owner(None, Churn.manager_id))
        .group_by(Churn.status)
    )
    if f.branch_id:
        stmt = stmt.join(Customer, Customer.id == Churn.customer_id).where(Customer.branch_id == f.branch_id)
    return stmt


def aggregates(f, user, year, month):
    """{section: {key: (n, value)}} of the four small aggregates, in one statement."""
    parts = [
        tickets_query(f, user),
        won_lost_query(f, user, year),
        churn_query(f, user),
        new_customers_query(f, user, year, month),
    ]
    found = {}
    for section, key, n, value in db.session.execute(union_all(*parts)):
        found.setdefault(section, {})[key] = (n, value)
    return found


def new_customers_section(counts, year, month):
    start, end = new_customers_window(year, month)
    rows, cursor = [], start
    while cursor <= end:
        key = f"{cursor.year}-{cursor.month:02d}"
        rows.append({"month": key, "customers": counts.get(key, (0,))[0], "_link": list_url("customerview")})
        cursor = month_bounds(key)[1] + dt.timedelta(days=1)
    return Section(
        "new_customers",
        _l("New customers per month"),
        [Col("month", _l("Month")), Col("customers", _l("New customers"), "int")],
        rows,
        Chart("bar", x="month", y=["customers"], y_title=_l("New customers")),
    )


def won_lost_section(found):
    rows = [
        {
            "status": code,
            "label": gettext(text),
            "opportunities": found[code][0] if code in found else 0,
            "expected_revenue": money(found[code][1]) if code in found else 0.0,
            "_link": list_url("opportunityview", (STR_EQUAL, "status", code)),
        }
        for code, text in (("won", "Won"), ("lost", "Lost"))
    ]
    return Section(
        "won_lost",
        _l("Won and lost opportunities this year"),
        [
            Col("label", _l("Status")),
            Col("opportunities", _l("Opportunities"), "int"),
            Col("expected_revenue", _l("Expected revenue"), "money"),
        ],
        rows,
        Chart("pie", x="label", y=["opportunities"]),
    )


def tickets_section(found):
    rows = [
        {
            "type": code,
            "label": dict_label("service_type", code),
            "open": found[code][0],
            "overdue": int(found[code][1] or 0),
            "_link": list_url("serviceview", (STR_EQUAL, "type", code), (STR_NOT_EQUAL, "status", "archived")),
        }
        for code in sorted(found)
    ]
    return Section(
        "tickets",
        _l("Open and overdue tickets by type"),
        [
            Col("label", _l("Service type")),
            Col("open", _l("Open tickets"), "int"),
            Col("overdue", _l("Overdue tickets"), "int"),
        ],
        rows,
        Chart("bar", x="label", y=["open", "overdue"], y_title=_l("Tickets")),
    )


def churn_section(found):
    rows = [
        {
            "status": code,
            "label": gettext(CHURN_STATUSES[code]),
            "customers": found.get(code, (0,))[0],
            "_link": list_url("churnview", (STR_EQUAL, "status", code)),
        }
        for code in OPEN_CHURN_STATUSES
    ]
    return Section(
        "churn",
        _l("Churn warnings"),
        [Col("label", _l("Status")), Col("customers", _l("Number of customers"), "int")],
        rows,
        Chart("pie", x="label", y=["customers"]),
    )


def top_customers_section(f, user, year):
    window = Filters(
        date_from=dt.date(year, 1, 1), date_to=dt.date(year, 12, 31), branch_id=f.branch_id, manager_id=f.manager_id
    )
    top = revenue.top_customers(window, user, TOP)
    rows = [
        {
            "customer_id": r.customer_id,
            "customer": r.name,
            "amount": money(r.amount),
            "_link": f"/customerview/show/{r.customer_id}",
        }
        for r in top
    ]
    return Section(
        "top_customers",
        _l("Top 10 customers this year"),
        [Col("customer", _l("Customer")), Col("amount", _l("Order amount"), "money")],
        rows,
        Chart("hbar", x="customer", y=["amount"], y_title=_l("Order amount")),
    )


def build(f, user):
    year, month = reference(f)
    revenue, kpis = revenue_section(f, user, year, month)
    found = aggregates(f, user, year, month)
    tickets = tickets_section(found.get("tickets", {}))
    churn = churn_section(found.get("churn", {}))
    new_customers = new_customers_section(found.get("new_customers", {}), year, month)
    kpis.update(
        year=year,
        month=month,
        open_tickets=sum(r["open"] for r in tickets.rows),
        overdue_tickets=sum(r["overdue"] for r in tickets.rows),
        churn_warnings=sum(r["customers"] for r in churn.rows),
        new_customers_month=new_customers.rows[-1]["customers"],
    )
    sections = [
        revenue,
        new_customers,
        won_lost_section(found.get("won_lost", {})),
        tickets,
        churn,
        top_customers_section(f, user, year),
    ]
    return sections, kpis
