"""客户流失管理: the warning list, the 流失预警扫描 button, 暂缓流失 and 确认流失.

The screens only call Churn.defer / Churn.confirm and services.churn.scan."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import CHURN_STATUSES, Churn, ChurnMeasure, Customer, dict_items
from app.security import current_user_obj, scope_clause
from app.services import churn as churn_service
from app.views.base import CrmModelView, status_formatter


def scoped_churn(pk, user):
    """The churn record if the user may see it (404 otherwise, like a missing one)."""
    churn = db.session.execute(
        select(Churn)
        .options(
            joinedload(Churn.customer).joinedload(Customer.manager),
            joinedload(Churn.manager),
            selectinload(Churn.measures).joinedload(ChurnMeasure.user),
        )
        .where(Churn.id == pk, scope_clause(Churn, user))
    ).scalar_one_or_none()
    if churn is None:
        abort(404)
    return churn


class ChurnView(CrmModelView):
    datamodel = SQLAInterface(Churn)
    class_permission_name = "Churn"
    list_title = show_title = add_title = edit_title = _l("Customer churn")
    label_columns = {"last_order_date": _l("Last order date"), "lost_on": _l("Lost on"), "measures": _l("Measures")}
    list_columns = ["customer", "manager", "last_order_date", "status", "reason", "lost_on"]
    show_columns = ["customer", "manager", "last_order_date", "status", "reason", "lost_on", "measures"]
    search_columns = ["status", "last_order_date", "lost_on", "reason"]
    formatters_columns = {"status": status_formatter(CHURN_STATUSES)}
    exclude_route_methods = {"download", "add", "edit", "delete"}  # changed only by the steps below
    base_order = ("created_on", "desc")
    list_template = "churn/list.html"

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        user = current_user_obj()
        churn = scoped_churn(pk, user)
        sm = self.appbuilder.sm
        return self.render_template(
            "churn/show.html",
            title=self.show_title,
            churn=churn,
            can_defer=churn.is_open and churn.may_defer(user) and sm.has_access("can_defer", "Churn"),
            can_confirm=churn.is_open and churn.may_confirm(user) and sm.has_access("can_confirm", "Churn"),
            reasons=dict_items("churn_reason", db.session),
            status_label=churn.status_label,
        )

    @expose("/defer/<int:pk>", methods=["POST"])
    @has_access
    def defer(self, pk):
        return self._step(
            pk,
            lambda churn, user: churn.defer(request.form.get("measure"), by=user),
            _l("Measure recorded; the churn warning is deferred"),
        )

    @expose("/confirm/<int:pk>", methods=["POST"])
    @has_access
    def confirm(self, pk):
        return self._step(
            pk,
            lambda churn, user: churn.confirm(request.form.get("reason"), by=user),
            _l("Churn confirmed; the customer is marked as lost"),
        )

    def _step(self, pk, run, success):
        """Load the record within scope, take the step, commit, back to its page."""
        user = current_user_obj()
        run(scoped_churn(pk, user), user)
        db.session.commit()
        flash(str(success), "success")
        return redirect(url_for(".show", pk=pk))

    @expose("/scan", methods=["POST"])
    @has_access
    def scan(self):
        created = churn_service.scan(db.session)
        flash(gettext("Churn scan finished: %(count)s new warning(s)", count=created), "success")
        return redirect(url_for(".list"))
