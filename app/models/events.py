"""Session hooks: business numbers for new records, and the audit trail of every change."""

import datetime as dt
import decimal
import json

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from .audit import AuditLog
from .base import current_actor_id, now
from .customer import Customer, assign_customer_no
from .order import Order
from .sequence import next_number

NOT_AUDITED_FIELDS = {
    "changed_on",
    "changed_by_id",
    "created_on",
    "created_by_id",
    "version",
    "name_norm",
    "phone_norm",
}
_NOT_AUDITED = {"audit_log", "crm_counter", "ab_user", "ab_role", "ab_permission_view", "ab_view_menu", "ab_permission"}


def plain_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _customer_id_of(obj):
    if isinstance(obj, Customer):
        return obj.id
    return getattr(obj, "customer_id", None)


def audit_row(table_name, record_id, action, changes=None, transition=None, customer_id=None):
    return {
        "created_on": now(),
        "user_id": current_actor_id(),
        "table_name": table_name,
        "record_id": record_id,
        "action": action,
        "transition": transition,
        "changes": json.dumps(changes, ensure_ascii=False, default=str) if changes else None,
        "customer_id": customer_id,
    }


def write_audit(session, table_name, record_id, action, changes=None, transition=None, customer_id=None):
    """Write one audit entry in the caller's transaction (used by workflow steps)."""
    session.execute(
        insert(AuditLog.__table__),
        [audit_row(table_name, record_id, action, changes, transition, customer_id)],
    )


def _column_changes(obj, only_changed):
    changes = {}
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in NOT_AUDITED_FIELDS or key == "id":
            continue
        hist = state.attrs[key].history
        if only_changed:
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if plain_value(old) == plain_value(new):
                continue
            changes[key] = [plain_value(old), plain_value(new)]
        else:
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, plain_value(value)] if only_changed is None else plain_value(value)
    return changes


@event.listens_for(Session, "before_flush")
def _before_flush(session, flush_context, instances):
    for obj in session.new:
        if isinstance(obj, Customer):
            assign_customer_no(session, obj)
        elif isinstance(obj, Order) and not obj.no:
            obj.no = next_number(session, "DD")
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Order):
            obj.recompute_amount()


@event.listens_for(Session, "after_flush")
def _after_flush(session, flush_context):
    rows = []
    for obj in session.new:
        table = getattr(obj, "__tablename__", None)
        if table and table not in _NOT_AUDITED and hasattr(obj, "id"):
            rows.append(
                audit_row(table, obj.id, "create", _column_changes(obj, False), customer_id=_customer_id_of(obj))
            )
    for obj in session.dirty:
        table = getattr(obj, "__tablename__", None)
        if not table or table in _NOT_AUDITED or not session.is_modified(obj, include_collections=False):
            continue
        changes = _column_changes(obj, True)
        if changes:
            rows.append(audit_row(table, obj.id, "update", changes, customer_id=_customer_id_of(obj)))
    for obj in session.deleted:
        table = getattr(obj, "__tablename__", None)
        if table and table not in _NOT_AUDITED:
            rows.append(
                audit_row(table, obj.id, "delete", _column_changes(obj, False), customer_id=_customer_id_of(obj))
            )
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)
