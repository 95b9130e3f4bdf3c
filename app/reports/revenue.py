"""Revenue figures read from the summary tables (app/models/summary.py), so that they do not
grow with the order table: whole months from revenue_month, whole years (or all years) from
revenue_customer_year, and only the days at the edges of an arbitrary date range from the
orders themselves. Same numbers as summing the orders (tests/test_reports.py,
tests/test_summary.py)."""

import datetime as dt

from sqlalchemy import func, literal, select, union_all

from app.extensions import db
from app.models import REVENUE_STATUSES, Customer, Order, RevenueCustomerYear, RevenueMonth
from app.models.summary import ALL_YEARS
from app.reports.base import Filters, month_bounds
from app.security import scope_clause, summary_scope_clause


def order_filters(f, user):
    """Orders in the user's scope and the filters: the edges of a range, and the pages that
    still read orders."""
    return [
        Order.status.in_(REVENUE_STATUSES),
        scope_clause(Customer, user),
        *f.dates(Order.date),
        *f.owner(Customer.branch_id, Customer.manager_id),
    ]


def _summary_filters(table, f, user):
    return [summary_scope_clause(table, user), *f.owner(table.branch_id, table.manager_id)]


def _edges(start, end, whole_from, whole_to):
    """Day ranges of [start, end] outside [whole_from, whole_to] (None = open)."""
    if whole_from > whole_to:
        return [(start, end)]
    edges = []
    if start and start < whole_from:
        edges.append((start, whole_from - dt.timedelta(days=1)))
    if end and end > whole_to:
        edges.append((whole_to + dt.timedelta(days=1), end))
    return edges


def split_years(start, end):
    """(first year, last year, edges): the whole calendar years inside [start, end] and the
    day ranges left over; first > last when no whole year fits."""
    first = 1 if start is None else start.year + (start != dt.date(start.year, 1, 1))
    last = 9999 if end is None else end.year - (end != dt.date(end.year, 12, 31))
    if first > last:
        return first, last, [(start, end)]
    return first, last, _edges(start, end, dt.date(first, 1, 1), dt.date(last, 12, 31))


def split_months(start, end):
    """(first month, last month, edges) like split_years; months as their first day."""
    first = dt.date.min if start is None else start.replace(day=1)
    if start and start.day != 1:
        first = month_bounds(f"{start.year}-{start.month:02d}")[1] + dt.timedelta(days=1)
    last = dt.date.max.replace(day=1) if end is None else end.replace(day=1)
    if end and end != month_bounds(f"{end.year}-{end.month:02d}")[1]:
        last = (last - dt.timedelta(days=1)).replace(day=1)
    if first > last:
        return first, last, [(start, end)]
    last_day = dt.date.max if end is None else month_bounds(f"{last.year}-{last.month:02d}")[1]
    return first, last, _edges(start, end, first, last_day)


def _window(f, start, end):
    return Filters(date_from=start, date_to=end, branch_id=f.branch_id, manager_id=f.manager_id)


def month_totals(f, user, first, last):
    """{'YYYY-MM': amount} of the whole months first..last (first days of months)."""
    t = RevenueMonth
    stmt = (
        select(t.month, func.sum(t.amount))
        .where(t.month >= first, t.month <= last, *_summary_filters(t, f, user))
        .group_by(t.month)
    )
    return {f"{m.year}-{m.month:02d}": amount for m, amount in db.session.execute(stmt)}


def total(f, user):
    """Revenue of the range and filters of `f`: whole months from the summary, edge days from the orders."""
    first, last, edges = split_months(f.date_from, f.date_to)
    t = RevenueMonth
    parts = []
    if first <= last:
        parts.append(select(t.amount).where(t.month >= first, t.month <= last, *_summary_filters(t, f, user)))
    for start, end in edges:
        parts.append(
            select(Order.amount)
            .join(Customer, Customer.id == Order.customer_id)
            .where(*order_filters(_window(f, start, end), user))
        )
    amounts = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    return db.session.execute(select(func.coalesce(func.sum(amounts.c.amount), 0))).scalar()


def top_customers(f, user, limit):
    """[(customer id, name, amount, orders)] of the `limit` customers with most revenue in
    the range of `f`, ties by customer id. All years or one whole year: read in index order."""
    first, last, edges = split_years(f.date_from, f.date_to)
    t = RevenueCustomerYear
    if not edges and (first == last or (first, last) == (1, 9999)):
        year = ALL_YEARS if (first, last) == (1, 9999) else first
        stmt = (
            select(t.customer_id, Customer.name, t.amount, t.orders)
            .join(Customer, Customer.id == t.customer_id)
            .where(t.year == year, *_summary_filters(t, f, user))
            .order_by(t.amount.desc(), t.customer_id)
            .limit(limit)
        )
        return db.session.execute(stmt).all()
    parts = []
    if first <= last:
        parts.append(
            select(t.customer_id, t.amount, t.orders).where(
                t.year >= first, t.year <= last, t.year != ALL_YEARS, *_summary_filters(t, f, user)
            )
        )
    for start, end in edges:
        parts.append(
            select(Order.customer_id, Order.amount, literal(1).label("orders"))
            .join(Customer, Customer.id == Order.customer_id)
            .where(*order_filters(_window(f, start, end), user))
        )
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    amount = func.sum(rows.c.amount)
    ranked = (
        select(rows.c.customer_id, amount.label("amount"), func.sum(rows.c.orders).label("orders"))
        .group_by(rows.c.customer_id)
        .order_by(amount.desc(), rows.c.customer_id)
        .limit(limit)
        .subquery()
    )
    stmt = (
        select(ranked.c.customer_id, Customer.name, ranked.c.amount, ranked.c.orders)
        .join(Customer, Customer.id == ranked.c.customer_id)
        .order_by(ranked.c.amount.desc(), ranked.c.customer_id)
    )
    return db.session.execute(stmt).all()
