"""审计日志: read-only for admins."""

import json

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.models import AuditLog
from app.views.base import CrmModelView


def _changes(value):
    if not value:
        return ""
    try:
        data = json.loads(value)
    except ValueError:
        return value
    rows = []
    for field, change in data.items():
        if isinstance(change, list) and len(change) == 2:
            rows.append(f"{escape(field)}: {escape(change[0])} → {escape(change[1])}")
        else:
            rows.append(f"{escape(field)}: {escape(change)}")
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
    formatters_columns = {"changes": _changes}
    base_order = ("id", "desc")
