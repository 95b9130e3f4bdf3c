"""The REST resources of SPEC §4, field names as in SPEC §2."""

from flask import g, request
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.api.base import CrmModelApi
from app.models import (
    Activity,
    Branch,
    Campaign,
    Churn,
    Contact,
    Customer,
    Dictionary,
    Opportunity,
    Order,
    Plan,
    Product,
    Service,
    Stock,
)
from app.models.customer import CUSTOMER_DETAIL_FIELDS
from app.services import sales as sales_service
from app.services import service as service_service
from app.services.customers import apply_owner, check_duplicates, check_owner_change

AUDIT = ["id", "created_on", "created_by_id", "changed_on", "changed_by_id"]


def _resource(model, name, permission, fields, read_only=(), add_only=(), **attrs):
    """A ModelRestApi class for `model` exposing `fields` (+ audit columns when reading);
    `add_only` fields may be given when creating but change later only through a step."""
    columns = list(fields)
    readable = AUDIT + columns + list(read_only)
    body = {
        "datamodel": SQLAInterface(model),
        "resource_name": name,
        "class_permission_name": permission,
        "list_columns": readable,
        "show_columns": readable,
        "add_columns": columns + list(add_only),
        "edit_columns": columns + (["version"] if hasattr(model, "version") else []),
        "order_columns": [c for c in readable if not c.endswith("_id") or c == "id"],
        # foreign keys too: clients ask "the contacts of customer 7" as customer_id eq 7
        "search_columns": [c for c in readable if c not in AUDIT[1:]],
        **attrs,
    }
    if hasattr(model, "version"):
        body["list_columns"] = readable + ["version"]
        body["show_columns"] = readable + ["version"]
    return type(f"{model.__name__}Api", (CrmModelApi,), body)


def _customer_pre_add(self, item):
    apply_owner(item, g.user)
    # a look-alike of an existing customer answers 409 unless ?confirm_duplicate=1
    check_duplicates(item, confirmed=request.args.get("confirm_duplicate") in ("1", "true"))


def _customer_pre_update(self, item):
    check_owner_change(item, g.user)


def _opportunity_pre_add(self, item):
    g.crm_assign_to = sales_service.before_create(item, g.user, item.assignee_id)


def _opportunity_post_add(self, item):
    sales_service.after_create(item, g.pop("crm_assign_to", None), g.user)


def _service_pre_add(self, item):
    service_service.before_create(item, g.user)


CUSTOMER_FIELDS = [
    "no",
    "name",
    "region",
    "industry",
    "level",
    "satisfaction",
    "credit",
    "manager_id",
    "branch_id",
    *CUSTOMER_DETAIL_FIELDS,
    "source",
]

CustomerApi = _resource(
    Customer,
    "customer",
    "Customer",
    CUSTOMER_FIELDS,
    read_only=["status"],
    pre_add=_customer_pre_add,
    pre_update=_customer_pre_update,
)
ContactApi = _resource(
    Contact,
    "contact",
    "Contact",
    ["customer_id", "name", "gender", "position", "phone", "mobile", "email", "memo", "is_primary"],
)
ActivityApi = _resource(
    Activity,
    "activity",
    "Activity",
    ["customer_id", "date", "type", "place", "title", "description", "user_id"],
)
OrderApi = _resource(
    Order,
    "order",
    "Order",
    ["customer_id", "no", "date", "address", "status"],
    read_only=["amount"],
)
ProductApi = _resource(Product, "product", "Product", ["name", "model", "batch", "unit", "price", "memo"])
StockApi = _resource(Stock, "stock", "Stock", ["product_id", "warehouse", "location", "quantity", "memo"])
DictionaryApi = _resource(
    Dictionary, "dictionary", "Dictionary", ["type", "name", "value", "sort"], read_only=["editable"]
)
BranchApi = _resource(Branch, "branch", "Branch", ["name", "code", "parent_id"])
CampaignApi = _resource(
    Campaign,
    "campaign",
    "Campaign",
    ["name", "channel", "start", "end", "budget", "cost", "description", "responses"],
)
OpportunityApi = _resource(
    Opportunity,
    "opportunity",
    "Opportunity",
    [
        "source",
        "customer_name",
        "title",
        "probability",
        "expected_revenue",
        "expected_close",
        "contact",
        "phone",
        "description",
        "campaign_id",
    ],
    read_only=["customer_id", "assignee_id", "assigned_on", "status", "closed_on", "lost_reason", "branch_id"],
    add_only=["assignee_id"],
    pre_add=_opportunity_pre_add,
    post_add=_opportunity_post_add,
)
PlanApi = _resource(Plan, "plan", "Opportunity", ["opportunity_id", "date", "todo"], read_only=["result", "done_on"])
ServiceApi = _resource(
    Service,
    "service",
    "Service",
    ["type", "title", "customer_id", "request"],
    read_only=[
        "status",
        "assignee_id",
        "assigned_on",
        "deal",
        "dealt_by_id",
        "dealt_on",
        "result",
        "satisfaction",
        "archived_on",
        "branch_id",
    ],
    pre_add=_service_pre_add,
)
ChurnApi = _resource(
    Churn,
    "churn",
    "Churn",
    [],
    read_only=["customer_id", "manager_id", "last_order_date", "status", "reason", "lost_on"],
)

RESOURCES = [
    CustomerApi,
    ContactApi,
    ActivityApi,
    OrderApi,
    ProductApi,
    StockApi,
    DictionaryApi,
    BranchApi,
    CampaignApi,
    OpportunityApi,
    PlanApi,
    ServiceApi,
    ChurnApi,
]
