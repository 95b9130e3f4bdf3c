"""服务管理: service tickets (CRUD; the workflow pages come with issue 5)."""

from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import SERVICE_STATUSES, Service
from app.views.base import CrmModelView, status_formatter


class ServiceView(CrmModelView):
    datamodel = SQLAInterface(Service)
    class_permission_name = "Service"
    list_title = show_title = add_title = edit_title = _l("Service tickets")
    dict_types = {"type": "service_type"}
    label_columns = {
        "type": _l("Service type"),
        "title": _l("Summary"),
        "request": _l("Service request"),
        "deal": _l("Handling"),
        "dealt_by": _l("Handled by"),
        "dealt_on": _l("Handled on"),
        "result": _l("Feedback"),
        "archived_on": _l("Archived on"),
    }
    list_columns = ["type", "title", "customer", "status", "creator", "assignee", "created_on"]
    columns = ["type", "title", "customer", "request"]
    show_columns = columns + [
        "status",
        "creator",
        "created_on",
        "assignee",
        "assigned_on",
        "deal",
        "dealt_by",
        "dealt_on",
        "result",
        "satisfaction",
        "archived_on",
    ]
    search_columns = ["type", "title", "status", "satisfaction", "created_on"]
    order_columns = ["type", "title", "status", "created_on"]
    formatters_columns = {"status": status_formatter(SERVICE_STATUSES)}
    base_order = ("created_on", "desc")

    def pre_add(self, item):
        item.status = "new"
        item.branch_id = item.customer.branch_id if item.customer else g.user.branch_id
