"""审计日志: read-only for admins, and the one formatter of audit entries that this screen
and the customer 360° timeline share (codes → the names users read on the screens)."""

import json
from dataclasses import dataclass

from flask import current_app, g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import inspect, select
from sqlalchemy.orm.util import identity_key

from app.extensions import db
from app.models import (
    CHURN_STATUSES,
    OPPORTUNITY_STATUSES,
    ORDER_STATUSES,
    SERVICE_STATUSES,
    AuditLog,
)
from app.models.customer import CUSTOMER_STATUSES
from app.views.base import COMMON_LABELS, CrmModelView, format_value

# audit_log.table_name → the module a user knows the record from
AUDIT_TABLES = {
    "customer": _l("Customer"),
    "contact": _l("Contact"),
    "activity": _l("Activity"),
    "sales_order": _l("Order"),
    "order_line": _l("Order lines"),
    "churn": _l("Customer churn"),
    "churn_measure": _l("Churn measure"),
    "opportunity": _l("Sales opportunity"),
    "plan": _l("Development plan"),
    "service": _l("Service ticket"),
    "service_round": _l("Service round"),
    "campaign": _l("Campaign"),
    "dictionary": _l("Data dictionary"),
    "branch": _l("Branch"),
    "product": _l("Product"),
    "stock": _l("Stock"),
    "ab_user": _l("User"),
    "ab_role": _l("Role"),
}
AUDIT_ACTIONS = {
    "create": _l("Add"),
    "update": _l("Changed"),
    "delete": _l("Delete"),
    "transition": _l("Workflow step"),
}
AUDIT_TRANSITIONS = {
    "assign": _l("Assign"),
    "win": _l("Development succeeded"),
    "fail": _l("Development failed"),
    "execute": _l("Execute plan"),
    "handle": _l("Handled"),
    "feedback": _l("Feedback"),
    "scan": _l("Churn warning scan"),
    "defer": _l("Defer churn"),
    "confirm": _l("Confirm churn"),
    "recover": _l("Recovered"),
    "transfer": _l("Transferred"),
    "rights": _l("Rights changed"),
    "restore defaults": _l("Restore defaults"),
}
# status codes stored in the audited tables
AUDIT_STATUSES = {
    "customer": CUSTOMER_STATUSES,
    "sales_order": ORDER_STATUSES,
    "opportunity": OPPORTUNITY_STATUSES,
    "service": SERVICE_STATUSES,
    "churn": CHURN_STATUSES,
}
# fields that only the audit writes (no screen shows them)
AUDIT_FIELDS = {
    "password": _l("Password"),
    "roles": _l("Role"),
    "added": _l("Rights added"),
    "removed": _l("Rights removed"),
    "copied from": _l("Copied from"),
}


def _label(mapping, code):
    return str(mapping[code]) if code in mapping else (code or "")


def table_label(code):
    return _label(AUDIT_TABLES, code)


def action_label(code):
    return _label(AUDIT_ACTIONS, code)


def transition_label(code):
    return _label(AUDIT_TRANSITIONS, code)


@dataclass
class Change:
    field: str
    old: str
    new: str
    is_change: bool  # [old, new] pair, not a value written on create/delete


@dataclass
class AuditEntry:
    entry: AuditLog
    table: str
    action: str
    transition: str
    changes: list

    @property
    def step(self):
        """The most specific name of what happened: the workflow step, else the action."""
        return self.transition or self.action


def _views_by_table():
    """table → the first registered list screen of its model (its labels and formatters)."""
    found = {}
    for view in current_app.appbuilder.baseviews:
        datamodel = getattr(view, "datamodel", None)
        table = getattr(getattr(datamodel, "obj", None), "__tablename__", None)
        if table and getattr(view, "label_columns", None) and table not in found:
            found[table] = view
    return found


class _Describer:
    """Labels and value names for one table's fields, from the screen that shows them."""

    def __init__(self, table):
        self.table = table
        self.view = _views_by_table().get(table)
        self.model = self.view.datamodel.obj if self.view else None
        self.labels = {**COMMON_LABELS, **AUDIT_FIELDS, **(self.view.label_columns if self.view else {})}

    def field(self, key):
        name = key[:-3] if key.endswith("_id") and key[:-3] in self.labels else key
        return str(self.labels[name]) if name in self.labels else key

    def value(self, key, value):
        if value is None or value == "":
            return ""
        if isinstance(value, list):
            return ", ".join(self.value(key, v) for v in value)
        if key == "status" and self.table in AUDIT_STATUSES:
            return gettext(AUDIT_STATUSES[self.table].get(value, value))
        related = self._related(key, value)
        if related is not None:
            return related
        formatter = (getattr(self.view, "formatters_columns", None) or {}).get(key)
        if formatter is not None and isinstance(value, str):
            return str(formatter(value))  # dictionary codes → names
        return format_value(value)

    def _related(self, key, value):
        """`manager_id: 3` → the user's name, `branch_id: 2` → the branch's name."""
        if self.model is None or not key.endswith("_id") or not isinstance(value, int):
            return None
        rel = inspect(self.model).relationships.get(key[:-3])
        if rel is None:
            return None
        target = db.session.get(rel.mapper.class_, value)
        return str(target) if target is not None else f"#{value}"

    def changes(self, text, created=False):
        """[Change] of an entry's JSON; a new record's values read without "→"."""
        if not text:
            return []
        try:
            data = json.loads(text)
        except ValueError:
            return [Change("", "", text, False)]
        if not isinstance(data, dict):
            return [Change("", "", str(data), False)]
        rows = []
        for key, change in data.items():
            if isinstance(change, list) and len(change) == 2 and not (created and change[0] is None):
                rows.append(Change(self.field(key), self.value(key, change[0]), self.value(key, change[1]), True))
            else:
                value = change[1] if isinstance(change, list) and len(change) == 2 else change
                rows.append(Change(self.field(key), "", self.value(key, value), False))
        return rows


def preload_related(entries):
    """Load every record the entries' changes point at (manager_id 3, branch_id 2, …) with
    one query per model, so describing a page of entries does not query row by row."""
    wanted = {}
    for entry in entries:
        try:
            data = json.loads(entry.changes) if entry.changes else {}
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        describer = _Describer(entry.table_name)
        if describer.model is None:
            continue
        relationships = inspect(describer.model).relationships
        for key, change in data.items():
            rel = relationships.get(key[:-3]) if key.endswith("_id") else None
            values = change if isinstance(change, list) else [change]
            if rel is not None:
                wanted.setdefault(rel.mapper.class_, set()).update(v for v in values if isinstance(v, int))
    held = g.setdefault("crm_audit_related", [])  # the identity map holds objects weakly: keep them
    for model, ids in wanted.items():
        ids = {i for i in ids if identity_key(model, i) not in db.session.identity_map}
        if ids:
            held += db.session.execute(select(model).where(model.id.in_(ids))).scalars().all()


def describe(entry):
    """An audit entry as users read it: module, action and step names, labelled changes."""
    return AuditEntry(
        entry=entry,
        table=table_label(entry.table_name),
        action=action_label(entry.action),
        transition=transition_label(entry.transition) if entry.transition else "",
        changes=_Describer(entry.table_name).changes(entry.changes, created=entry.action == "create"),
    )


def changes_html(entry):
    rows = []
    for change in describe(entry).changes:
        text = f"{change.old} → {change.new}" if change.is_change else change.new
        rows.append(f"{escape(change.field)}: {escape(text)}" if change.field else str(escape(text)))
    return Markup("<br>".join(rows))


class AuditLogView(CrmModelView):
    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    list_title = show_title = _l("Audit log")
    exclude_route_methods = {"download", "add", "edit", "delete"}  # read-only screen
    label_columns = {
        "table_name": _l("Record type"),
        "record_id": _l("Record ID"),
        "action": _l("Operation"),
        "transition": _l("Transition"),
        "changes": _l("Changes"),
    }
    list_columns = ["created_on", "user", "table_name", "record_id", "action", "transition"]
    show_columns = ["created_on", "user", "table_name", "record_id", "action", "transition", "changes"]
    search_columns = ["created_on", "table_name", "record_id", "action", "transition"]
    formatters_columns = {"table_name": table_label, "action": action_label, "transition": transition_label}
    base_order = ("id", "desc")

    def _get_show_widget(self, pk, item, **kwargs):
        # the changes' labels depend on the entry's table, which a column formatter cannot see
        widgets = super()._get_show_widget(pk, item, **kwargs)
        formatters = {**widgets["show"].template_args["formatters_columns"], "changes": lambda _: changes_html(item)}
        widgets["show"].template_args["formatters_columns"] = formatters
        return widgets
