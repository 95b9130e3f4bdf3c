"""The churn scan (SPEC §2 客户流失): one set-based INSERT … SELECT, idempotent, safe to run
from cron while people work."""

import calendar
import datetime as dt

from flask import current_app
from sqlalchemy import Integer, and_, exists, func, insert, literal, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from app.models import Churn, Customer, Order
from app.models.base import current_actor_id, now
from app.models.churn import OPEN_CHURN_STATUSES
from app.models.events import write_audit

SCAN_RECORD_ID = 0  # the scan's audit entry is about the scan as a whole, not one record


def months_before(day, months):
    """The same day `months` earlier (clamped to the month's end: 31 Aug − 6 → 28/29 Feb)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def churn_cutoff(today=None, months=None):
    """Customers whose last order is before this day (or who never ordered and were created
    before it) are churn candidates."""
    months = current_app.config["CHURN_MONTHS"] if months is None else months
    return months_before(today or dt.date.today(), months)


def _insert_warnings(dialect, cutoff, stamp, actor):
    """INSERT INTO churn … SELECT the candidates: one statement, no row in Python."""
    # One pass over the orders (GROUP BY customer) joined to the customers: at a million
    # customers a set-based aggregate beats a probe per customer into ix_order_customer_date.
    last_order = (
        select(Order.customer_id, func.max(Order.date).label("date"))
        .where(Order.status != "cancelled")
        .group_by(Order.customer_id)
        .subquery("last_order")
    )
    has_open = exists().where(Churn.customer_id == Customer.id, Churn.status.in_(OPEN_CHURN_STATUSES))
    candidates = (
        select(
            Customer.id,
            Customer.manager_id,
            last_order.c.date,
            literal("warning"),
            literal(1),
            literal(stamp),
            literal(stamp),
            literal(actor, Integer),
            literal(actor, Integer),
        )
        .select_from(Customer.__table__.outerjoin(last_order, last_order.c.customer_id == Customer.id))
        .where(
            Customer.status != "lost",
            or_(
                last_order.c.date < cutoff,
                and_(last_order.c.date.is_(None), Customer.created_on < dt.datetime.combine(cutoff, dt.time.min)),
            ),
            ~has_open,
        )
        .order_by(Customer.id)  # concurrent inserts take index entries in the same order
    )
    columns = [
        "customer_id",
        "manager_id",
        "last_order_date",
        "status",
        "version",
        "created_on",
        "changed_on",
        "created_by_id",
        "changed_by_id",
    ]
    table = Churn.__table__
    if dialect == "postgresql":
        return postgresql.insert(table).from_select(columns, candidates).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).from_select(columns, candidates).on_conflict_do_nothing()
    return insert(table).from_select(columns, candidates)


def scan(session, today=None, months=None):
    """Create a 流失预警 for every customer that went quiet and has no open record; their
    status becomes `warning`. Returns how many warnings were created (0 on a re-run).

    Three set-based statements in one transaction (PostgreSQL: one scan at a time, by an
    advisory lock; the partial unique index on open records guards everything else).

    Audit: the scan is ONE workflow step, so it writes ONE audit entry (table churn,
    transition `scan`, record_id 0) with the number of warnings and the cutoff day. Each
    warning still carries its own created_on / created_by, and the customer's 360° page
    shows it in the churn tab. An entry per warning would be 600,000 rows on the first
    scan of a large database — the most expensive statement after the customer UPDATE —
    and would say nothing the churn records do not.
    """
    cutoff = churn_cutoff(today, months)
    dialect = session.get_bind().dialect.name
    stamp, actor = now(), current_actor_id()
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('crm_churn_scan'))"))
    insert_warnings = _insert_warnings(dialect, cutoff, stamp, actor).execution_options(preserve_rowcount=True)
    created = session.execute(insert_warnings).rowcount
    if created:
        # this scan's records carry its timestamp: their customers follow in one UPDATE … FROM
        session.execute(
            update(Customer.__table__)
            .where(Customer.id == Churn.customer_id, Churn.created_on == stamp, Customer.status == "normal")
            .values(status="warning")
        )
        write_audit(
            session,
            "churn",
            SCAN_RECORD_ID,
            "transition",
            changes={"warnings": created, "cutoff": cutoff.isoformat()},
            transition="scan",
        )
    session.commit()
    return created
