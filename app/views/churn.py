"""客户流失管理 (list and detail; scan / defer / confirm come with issue 4)."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import CHURN_STATUSES, Churn
from app.views.base import CrmModelView, status_formatter


class ChurnView(CrmModelView):
    datamodel = SQLAInterface(Churn)
    class_permission_name = "Churn"
    list_title = show_title = add_title = edit_title = _l("Customer churn")
    label_columns = {"last_order_date": _l("Last order date"), "lost_on": _l("Lost on"), "measures": _l("Measures")}
    list_columns = ["customer", "manager", "last_order_date", "status", "reason", "lost_on"]
    show_columns = ["customer", "manager", "last_order_date", "status", "reason", "lost_on", "measures"]
    search_columns = ["status", "last_order_date", "lost_on", "reason"]
    formatters_columns = {"status": status_formatter(CHURN_STATUSES)}
    exclude_route_methods = {"download", "add", "edit", "delete"}  # read-only screen
    base_order = ("created_on", "desc")
