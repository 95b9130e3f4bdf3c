"""The churn scan (SPEC §2 客户流失): one set-based INSERT … SELECT, idempotent, safe to run
from cron while people work."""

import calendar
import datetime as dt

from flask import current_app
from sqlalchemy import Integer, and_, exists, func, insert, literal, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from app.models import AuditLog, Churn, Customer, Order
from app.models.base import current_actor_id, now
from app.models.churn import OPEN_CHURN_STATUSES

SCAN_AUDIT = '{"status": [null, "warning"]}'


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
    # Index-friendly shape (ix_order_customer_date): per customer, probe for one valid order
    # since the cutoff; only the few quiet customers get their last order date looked up.
    valid_order = and_(Order.customer_id == Customer.id, Order.status != "cancelled")
    ordered_since_cutoff = exists().where(valid_order, Order.date >= cutoff)
    ever_ordered = exists().where(valid_order)
    last_order_date = select(func.max(Order.date)).where(valid_order).scalar_subquery()
    has_open = exists().where(Churn.customer_id == Customer.id, Churn.status.in_(OPEN_CHURN_STATUSES))
    candidates = (
        select(
            Customer.id,
            Customer.manager_id,
            last_order_date,
            literal("warning"),
            literal(1),
            literal(stamp),
            literal(stamp),
            literal(actor, Integer),
            literal(actor, Integer),
        )
        .where(
            Customer.status != "lost",
            ~ordered_since_cutoff,
            or_(Customer.created_on < dt.datetime.combine(cutoff, dt.time.min), ever_ordered),
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
    status becomes `warning`. Returns how many warnings were created (0 on a re-run)."""
    cutoff = churn_cutoff(today, months)
    dialect = session.get_bind().dialect.name
    stamp, actor = now(), current_actor_id()
    if dialect == "postgresql":  # one scan at a time; the unique index guards everything else
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('crm_churn_scan'))"))
    insert_warnings = _insert_warnings(dialect, cutoff, stamp, actor).execution_options(preserve_rowcount=True)
    created = session.execute(insert_warnings).rowcount
    if created:
        # this scan's records carry its timestamp: customers and audit entries follow set-based
        new_records = select(Churn.customer_id).where(Churn.created_on == stamp)
        session.execute(
            update(Customer.__table__)
            .where(Customer.id.in_(new_records), Customer.status == "normal")
            .values(status="warning")
        )
        session.execute(
            insert(AuditLog.__table__).from_select(
                ["created_on", "user_id", "table_name", "record_id", "action", "transition", "changes", "customer_id"],
                select(
                    literal(stamp),
                    literal(actor, Integer),
                    literal("churn"),
                    Churn.id,
                    literal("create"),
                    literal("scan"),
                    literal(SCAN_AUDIT),
                    Churn.customer_id,
                ).where(Churn.created_on == stamp),
            )
        )
    session.commit()
    return created
