"""服务管理 screens: the ticket list and page (with the workflow forms), 服务创建, and the
work lists 服务分配 / 服务处理 / 服务反馈 / 服务归档. Rules live in Service and
app.services.service; these views only collect input and show the outcome."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import StringField

from app.extensions import db
from app.models import SERVICE_STATUSES, DomainError, Service
from app.security import current_user_obj
from app.services import service as svc
from app.views.base import CrmModelView, status_formatter
from app.views.customer import stars
from app.views.fields import DictSelectField

_status_label = status_formatter(SERVICE_STATUSES)


def progress_formatter(value):
    """Status, plus a red 超期 label on open tickets older than SERVICE_OVERDUE_DAYS."""
    status, overdue = value
    html = escape(_status_label(status))
    if overdue:
        html += Markup(' <span class="label label-danger">{}</span>').format(gettext("Overdue"))
    return html


class FilterMyFeedback(BaseFilter):
    """Tickets the current user created or of customers they manage."""

    name = "My feedback"
    arg_name = "my_feedback"

    def apply(self, query, value):
        return query.filter(Service.feedback_clause(current_user_obj()))


class ServiceView(CrmModelView):
    """全部服务工单: list, the ticket page with the steps the user may take, add / edit."""

    datamodel = SQLAInterface(Service)
    class_permission_name = "Service"
    method_permission_name = {"assign": "assign", "handle": "handle", "feedback": "feedback"}
    list_title = show_title = add_title = edit_title = _l("Service tickets")
    show_template = "service/show.html"
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
        "progress": _l("Status"),
        "customer_name": _l("Customer"),
    }
    list_columns = ["type", "title", "customer", "progress", "creator", "assignee", "created_on"]
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
    search_columns = ["type", "title", "customer_name", "status", "satisfaction", "created_on"]
    search_form_extra_fields = {
        "type": DictSelectField(_l("Service type"), dict_type="service_type"),
        "customer_name": StringField(_l("Customer")),
    }
    order_columns = ["type", "title", "customer_name", "created_on"]
    formatters_columns = {
        "status": _status_label,
        "progress": progress_formatter,
        "satisfaction": lambda v: stars(v) if v else "",
    }
    base_order = ("created_on", "desc")

    # -- ticket page -------------------------------------------------------

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        widgets = self._show(pk)  # 404 outside this list's filters and the data scope
        ticket = self.datamodel.get(pk, self._base_filters)
        steps = svc.allowed_steps(ticket, g.user)
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            ticket=ticket,
            steps=steps,
            assignees=svc.assignable_users() if "assign" in steps else [],
            overdue=ticket.is_overdue(svc.overdue_days()),
        )

    # -- workflow steps (forms on the ticket page) -------------------------

    @expose("/assign/<int:pk>", methods=["POST"])
    @has_access
    def assign(self, pk):
        def step(ticket):
            svc.assign_tickets([ticket], request.form.get("assignee_id"), g.user)
            return gettext("Service ticket assigned")

        return self._step(pk, step)

    @expose("/handle/<int:pk>", methods=["POST"])
    @has_access
    def handle(self, pk):
        def step(ticket):
            svc.handle_ticket(ticket, request.form.get("deal"), g.user)
            return gettext("Service ticket handled")

        return self._step(pk, step)

    @expose("/feedback/<int:pk>", methods=["POST"])
    @has_access
    def feedback(self, pk):
        def step(ticket):
            svc.give_feedback(ticket, request.form.get("result"), request.form.get("satisfaction"), g.user)
            if ticket.status == "archived":
                return gettext("Feedback recorded; the service ticket is archived")
            return gettext("Feedback recorded; the service ticket goes back to its assignee")

        return self._step(pk, step)

    def _step(self, pk, step):
        try:
            ticket = svc.visible_ticket(pk, g.user)
        except DomainError:
            abort(404)
        try:
            flash(step(ticket), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        return redirect(url_for("ServiceView.show", pk=pk))

    # -- add / edit / delete outside the workflow --------------------------

    def pre_add(self, item):
        svc.before_create(item, g.user)

    def post_add(self, item):
        g.service_added_id = item.id

    def post_add_redirect(self):
        added = g.get("service_added_id")
        if added:
            return redirect(url_for("ServiceView.show", pk=added))
        return super().post_add_redirect()

    def _edit(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        try:
            if item is not None:
                item.check_editable()
        except DomainError as exc:
            flash(str(exc.message), "danger")
            return None
        return super()._edit(pk)

    def pre_update(self, item):
        super().pre_update(item)
        item.check_editable()

    def pre_delete(self, item):
        item.check_deletable()


class ServiceCreateView(ServiceView):
    """服务创建: the add form as its own menu entry."""

    include_route_methods = {"add"}
    default_view = "add"
    add_title = _l("Create service ticket")


class _WorkList(ServiceView):
    """A read-only list of the tickets waiting for one step; rows open the ticket page."""

    include_route_methods = {"list", "show", "export"}  # export: 导出 Excel of the list
    step = None  # the right needed to see this list

    def __init__(self, **kwargs):
        if self.step:
            # one right per work list, so the menu entry follows exactly that right
            steps = {"list": self.step, "show": self.step, "export": self.step}
            self.method_permission_name = {**steps, **self.method_permission_name}
        super().__init__(**kwargs)


class ServiceAssignView(_WorkList):
    """服务分配: new tickets, oldest first; assign one or many."""

    list_title = show_title = _l("Service assignment")
    step = "assign"
    include_route_methods = {"list", "show", "export", "action_post", "assign_form"}
    method_permission_name = {"assign_selected": "assign", "assign_form": "assign"}
    base_filters = [["status", FilterEqual, "new"]]
    base_order = ("created_on", "asc")
    list_columns = ["type", "title", "customer", "progress", "creator", "created_on"]

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        # CrmModelView.action_post (rows through the scope) overrides FAB's without its route
        return super().action_post()

    @action("assign", _l("Assign ticket"), None, "fa-user-plus", single=False)
    def assign_selected(self, items):
        ids = ",".join(str(item.id) for item in items)
        return redirect(url_for(".assign_form", ids=ids))

    @expose("/assign", methods=["GET", "POST"])
    @has_access
    def assign_form(self):
        ids = [int(i) for i in (request.values.get("ids") or "").split(",") if i.strip().isdigit()]
        try:  # a ticket assigned meanwhile stays visible and answers 409 when assigned again
            tickets = [svc.visible_ticket(pk, g.user) for pk in ids]
        except DomainError:
            abort(404)
        if request.method == "POST":
            try:
                assignee = svc.assign_tickets(tickets, request.form.get("assignee_id"), g.user)
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc.message), "danger")
            else:
                flash(
                    gettext("%(count)s service ticket(s) assigned to %(user)s", count=len(tickets), user=assignee),
                    "success",
                )
                return redirect(url_for(".list"))
        return self.render_template(
            "service/assign.html", tickets=tickets, ids=ids, assignees=svc.assignable_users(), title=self.list_title
        )


class ServiceHandleView(_WorkList):
    """服务处理: tickets assigned to me, the last feedback in sight when one came back."""

    list_title = show_title = _l("Service handling")
    step = "handle"
    base_filters = [
        ["status", FilterEqual, "assigned"],
        ["assignee_id", FilterEqualFunction, lambda: current_user_obj().id],
    ]
    base_order = ("assigned_on", "asc")
    list_columns = ["type", "title", "customer", "progress", "creator", "assigned_on", "result", "satisfaction"]
    label_columns = {**ServiceView.label_columns, "result": _l("Last feedback")}


class ServiceFeedbackView(_WorkList):
    """服务反馈: handled tickets I created or of my customers."""

    list_title = show_title = _l("Service feedback")
    step = "feedback"
    base_filters = [["status", FilterEqual, "handled"], ["id", FilterMyFeedback, None]]
    base_order = ("dealt_on", "asc")
    list_columns = ["type", "title", "customer", "progress", "assignee", "dealt_on", "deal"]


class ServiceArchiveView(_WorkList):
    """服务归档: archived tickets, read-only, filtered by type, customer, date, satisfaction."""

    list_title = show_title = _l("Service archive")
    base_filters = [["status", FilterEqual, "archived"]]
    base_order = ("archived_on", "desc")
    list_columns = ["type", "title", "customer", "assignee", "satisfaction", "created_on", "archived_on"]
    search_columns = ["type", "customer_name", "title", "created_on", "archived_on", "satisfaction"]
    order_columns = ["type", "title", "customer_name", "satisfaction", "created_on", "archived_on"]
