"""营销管理 screens: campaigns, 销售机会管理 (assign), 客户开发计划 (plan, execute, win, fail),
the archive of won/lost opportunities and the 销售漏斗看板. The workflow lives in
app.models.sales; these views load the record within data scope, call the step, and
show the outcome."""

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqualFunction, FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ShowWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case
from wtforms.validators import NumberRange, Optional

from app.extensions import db
from app.models import OPPORTUNITY_STATUSES, Campaign, CrmUser, DomainError, Opportunity, Plan
from app.models.sales import ARCHIVED_STATUSES, may
from app.security import is_in_scope
from app.services import sales as svc
from app.views.base import CrmModelView, EditableRowsListWidget, status_formatter
from app.views.fields import LookupField
from app.views.listing import ListingInterface


class CampaignView(CrmModelView):
    datamodel = SQLAInterface(Campaign)
    class_permission_name = "Campaign"
    list_title = show_title = add_title = edit_title = _l("Campaigns")
    label_columns = {
        "name": _l("Campaign name"),
        "start": _l("Start date"),
        "end": _l("End date"),
        "budget": _l("Budget"),
        "cost": _l("Cost"),
        "responses": _l("Responses"),
        "customers": _l("Target customers"),
    }
    list_columns = ["name", "channel", "start", "end", "budget", "cost", "responses"]
    columns = ["name", "channel", "start", "end", "budget", "cost", "responses", "description"]
    search_columns = ["name", "channel", "start", "end"]
    validators_columns = {
        "budget": [NumberRange(min=0)],
        "cost": [NumberRange(min=0)],
        "responses": [NumberRange(min=0)],
    }


# ---------------------------------------------------------------- shared pieces


class UnassignedFirst(ListingInterface):
    """Opportunities waiting for assignment come first, whatever column the user sorts by."""

    def _ordered(self, query, order_column, order_direction):
        query = query.order_by(case((Opportunity.status == "unassigned", 0), else_=1))
        return super()._ordered(query, order_column, order_direction)


class OpportunityShowWidget(ShowWidget):
    """FAB's record page plus the plan items and the workflow buttons the user may press."""

    template = "sales/show_widget.html"


LABELS = {
    "source": _l("Opportunity source"),
    "customer_name": _l("Customer name"),
    "title": _l("Summary"),
    "probability": _l("Success probability (%)"),
    "expected_revenue": _l("Expected revenue"),
    "expected_close": _l("Expected close"),
    "contact": _l("Contact"),
    "closed_on": _l("Closed on"),
    "lost_reason": _l("Reason for failure"),
}
FIELDS = [
    "source",
    "customer_name",
    "title",
    "probability",
    "expected_revenue",
    "expected_close",
    "contact",
    "phone",
    "campaign",
    "description",
]
SHOWN = FIELDS + ["customer", "status", "creator", "assignee", "assigned_on", "closed_on", "lost_reason"]
SEARCH = ["title", "customer_name", "status", "source", "probability", "expected_close", "created_on"]


def _me():
    return g.user.id


def _archived():
    return list(ARCHIVED_STATUSES)


class _OpportunityBase(CrmModelView):
    datamodel = SQLAInterface(Opportunity)
    class_permission_name = "Opportunity"
    dict_types = {"source": "opportunity_source"}
    label_columns = LABELS
    formatters_columns = {"status": status_formatter(OPPORTUNITY_STATUSES)}
    list_widget = EditableRowsListWidget  # edit / delete on rows the user may still change
    show_columns = SHOWN
    search_columns = SEARCH
    order_columns = ["title", "probability", "expected_revenue", "status", "created_on", "assigned_on", "closed_on"]
    base_order = ("created_on", "desc")
    show_endpoint = "OpportunityView.show"  # where a row's magnifier leads

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        listing = self.datamodel  # CrmModelView's fast list interface, plus our ordering
        self.datamodel = UnassignedFirst(listing.obj, listing._session, eager=listing.eager)

    def _get_list_widget(self, **kwargs):
        widgets = super()._get_list_widget(**kwargs)
        args = widgets["list"].template_args
        rows = [db.session.get(Opportunity, pk) for pk in args["pks"]]  # loaded already: no SQL
        args["editable"] = {row.id for row in rows if row is not None and row.editable_by(g.user)}
        args["show_endpoint"] = self.show_endpoint
        return widgets


# ---------------------------------------------------------------- 销售机会管理


class OpportunityView(_OpportunityBase):
    list_title = show_title = add_title = edit_title = _l("Sales opportunities")
    list_columns = ["title", "customer_name", "probability", "expected_revenue", "creator", "assignee", "status"]
    columns = FIELDS
    show_widget = OpportunityShowWidget
    validators_columns = {"probability": [NumberRange(0, 100)], "expected_revenue": [NumberRange(min=0)]}
    method_permission_name = {
        "assign_many": "assign",
        "assign_form": "assign",
        "plan_page": "plan",
        "plan_add": "plan",
        "plan_edit": "plan",
        "plan_delete": "plan",
    }

    add_columns = FIELDS + ["assign_to"]
    add_form_extra_fields = {"assign_to": LookupField(_l("Assign to"), kind="user", validators=[Optional()])}

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        if not may(g.user, "assign"):  # only directors assign while creating
            exclude_cols = list(exclude_cols or []) + ["assign_to"]
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def pre_add(self, item):
        g.crm_assign_to = svc.before_create(item, g.user, request.form.get("assign_to"))

    def post_add(self, item):
        svc.after_create(item, g.pop("crm_assign_to", None), g.user)

    def prefill_form(self, form, pk):
        super().prefill_form(form, pk)
        self.datamodel.get(pk, self._base_filters).check_editable(g.user)

    def pre_update(self, item):
        super().pre_update(item)
        item.check_editable(g.user)

    def pre_delete(self, item):
        item.check_editable(g.user)

    def _get_show_widget(self, pk, item, **kwargs):
        widgets = super()._get_show_widget(pk, item, **kwargs)
        widgets["show"].template_args.update(item=item, flow=svc.flow(item, g.user))
        return widgets

    # -- 指派 (one from its page, several from the list) --

    @action("assign_many", _l("Assign"), None, "fa-user-plus", single=False)
    def assign_many(self, items):
        return redirect(url_for(".assign_form", ids=",".join(str(item.id) for item in items)))

    @expose("/assign", methods=["GET", "POST"])
    @has_access
    def assign_form(self):
        ids = [int(i) for i in (request.values.get("ids") or "").split(",") if i.strip().isdigit()]
        items = [self._scoped_get(pk) for pk in ids]
        if not items or any(item is None for item in items):
            abort(404)
        if request.method == "POST":
            done, failed = svc.assign_each(items, request.form.get("assignee_id"), g.user, request.form.get("version"))
            if done:
                flash(gettext("%(count)s opportunity(ies) assigned", count=done), "success")
            for title, message in failed:
                flash(f"{title}: {message}", "danger")
            if len(items) == 1:
                return redirect(url_for(".show", pk=items[0].id))
            return redirect(url_for(".list"))
        return self.render_template("sales/assign.html", items=items, ids=ids, title=gettext("Assign"))

    # -- 客户开发计划: the assignee's page for one opportunity --

    @expose("/plan/<int:pk>")
    @has_access
    def plan_page(self, pk):
        item = self._in_scope(pk)
        return self.render_template(
            "sales/plan.html", item=item, flow=svc.flow(item, g.user), labels=LABELS, title=gettext("Development plan")
        )

    @expose("/plan/<int:pk>/add", methods=["POST"])
    @has_access
    def plan_add(self, pk):
        form = request.form
        return self._step(pk, lambda o: o.add_plan(form.get("date"), form.get("todo"), g.user), _l("Plan item added"))

    @expose("/plan/<int:pk>/<int:plan_id>/edit", methods=["POST"])
    @has_access
    def plan_edit(self, pk, plan_id):
        form = request.form
        return self._step(
            pk, lambda o: o.edit_plan(plan_id, form.get("date"), form.get("todo"), g.user), _l("Plan item saved")
        )

    @expose("/plan/<int:pk>/<int:plan_id>/delete", methods=["POST"])
    @has_access
    def plan_delete(self, pk, plan_id):
        return self._step(pk, lambda o: o.delete_plan(plan_id, g.user), _l("Plan item deleted"))

    @expose("/execute/<int:pk>", methods=["POST"])
    @has_access
    def execute(self, pk):
        form = request.form
        return self._step(
            pk, lambda o: o.execute(form.get("plan_id"), form.get("result"), g.user), _l("Result recorded")
        )

    @expose("/win/<int:pk>", methods=["POST"])
    @has_access
    def win(self, pk):
        item = self._in_scope(pk)
        try:
            customer = item.win(g.user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(self._back(pk))
        flash(gettext("Development succeeded: customer %(name)s", name=customer.name), "success")
        if is_in_scope(type(customer), customer.id, g.user):
            return redirect(url_for("CustomerView.show", pk=customer.id))
        return redirect(url_for(".show", pk=pk))

    @expose("/fail/<int:pk>", methods=["POST"])
    @has_access
    def fail(self, pk):
        return self._step(
            pk, lambda o: o.fail(request.form.get("reason"), g.user), _l("Development ended"), url_for(".show", pk=pk)
        )

    # -- helpers --

    def _in_scope(self, pk):
        item = self._scoped_get(pk)
        if item is None:
            abort(404)
        return item

    def _back(self, pk):
        return url_for(".plan_page", pk=pk) if request.form.get("back") == "plan" else url_for(".show", pk=pk)

    def _step(self, pk, run, success, done_url=None):
        item = self._in_scope(pk)
        try:
            run(item)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(self._back(pk))
        flash(str(success), "success")
        return redirect(done_url or self._back(pk))


class PlanView(CrmModelView):
    """Plan items across the opportunities in scope, read-only: they are changed on the
    opportunity's plan page, where the workflow rules apply."""

    datamodel = SQLAInterface(Plan)
    class_permission_name = "Opportunity"
    list_title = show_title = _l("Plan items")
    label_columns = {
        "opportunity": _l("Sales opportunity"),
        "todo": _l("Plan item"),
        "result": _l("Result"),
        "done_on": _l("Done on"),
    }
    list_columns = ["opportunity", "date", "todo", "result", "done_on"]
    show_columns = list_columns
    search_columns = ["date", "todo", "result"]
    base_order = ("date", "desc")
    include_route_methods = {"list", "show", "export"}


# ---------------------------------------------------------------- 客户开发计划 (my list)


class DevelopmentPlanView(_OpportunityBase):
    """The assigned opportunities the current user works on; a row opens its plan page."""

    list_title = _l("Customer development plans")
    list_columns = ["title", "customer_name", "probability", "expected_revenue", "expected_close", "assigned_on"]
    base_filters = [["assignee_id", FilterEqualFunction, _me], ["status", FilterEqualFunction, lambda: "assigned"]]
    base_order = ("assigned_on", "desc")
    include_route_methods = {"list", "export"}
    method_permission_name = {"list": "plan", "export": "plan"}  # the menu shows for who works plans
    show_endpoint = "OpportunityView.plan_page"


# ---------------------------------------------------------------- 归档 (won / lost, read-only)


class OpportunityArchiveView(_OpportunityBase):
    list_title = show_title = _l("Archived opportunities")
    list_columns = ["title", "customer_name", "expected_revenue", "assignee", "status", "closed_on", "lost_reason"]
    base_filters = [["status", FilterInFunction, _archived]]
    base_order = ("closed_on", "desc")
    include_route_methods = {"list", "show", "export"}
    search_columns = SEARCH + ["closed_on", "lost_reason"]
    show_endpoint = "OpportunityArchiveView.show"


# ---------------------------------------------------------------- 销售漏斗看板


class PipelineBoardView(BaseView):
    route_base = "/crm/pipeline"
    class_permission_name = "Opportunity"
    default_view = "board"

    @expose("/")
    @has_access
    def board(self):
        filters = svc.BoardFilters.from_args(request.args)
        return self.render_template(
            "sales/board.html",
            title=gettext("Sales pipeline board"),
            board=svc.pipeline(g.user, filters),
            filters=filters,
            branches=svc.branches(),
            manager=db.session.get(CrmUser, filters.manager_id) if filters.manager_id else None,
            campaign=db.session.get(Campaign, filters.campaign_id) if filters.campaign_id else None,
        )
