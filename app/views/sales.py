"""营销管理: campaigns, sales opportunities, development plans (CRUD; workflow in issue 3)."""

from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange

from app.models import OPPORTUNITY_STATUSES, Campaign, Opportunity, Plan
from app.views.base import CrmModelView, status_formatter


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


class PlanView(CrmModelView):
    datamodel = SQLAInterface(Plan)
    class_permission_name = "Opportunity"
    list_title = show_title = add_title = edit_title = _l("Development plans")
    label_columns = {
        "opportunity": _l("Sales opportunity"),
        "todo": _l("Plan item"),
        "result": _l("Result"),
        "done_on": _l("Done on"),
    }
    list_columns = ["opportunity", "date", "todo", "result", "done_on"]
    columns = ["opportunity", "date", "todo", "result"]
    search_columns = ["date", "todo", "result"]
    base_order = ("date", "asc")


class OpportunityView(CrmModelView):
    datamodel = SQLAInterface(Opportunity)
    class_permission_name = "Opportunity"
    list_title = show_title = add_title = edit_title = _l("Sales opportunities")
    dict_types = {"source": "opportunity_source"}
    label_columns = {
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
    list_columns = [
        "title",
        "customer_name",
        "probability",
        "expected_revenue",
        "creator",
        "assignee",
        "status",
        "created_on",
    ]
    columns = [
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
    show_columns = columns + ["customer", "status", "creator", "assignee", "assigned_on", "closed_on", "lost_reason"]
    search_columns = ["title", "customer_name", "status", "source", "probability", "expected_close", "created_on"]
    order_columns = ["title", "probability", "expected_revenue", "status", "created_on"]
    formatters_columns = {"status": status_formatter(OPPORTUNITY_STATUSES)}
    validators_columns = {"probability": [NumberRange(0, 100)], "expected_revenue": [NumberRange(min=0)]}
    related_views = [PlanView]
    show_template = "appbuilder/general/model/show_cascade.html"
    base_order = ("created_on", "desc")

    def pre_add(self, item):
        item.status = "unassigned"
        item.branch_id = g.user.branch_id
