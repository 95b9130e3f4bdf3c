"""Menu and screens, grouped by the modules of SPEC §2."""

from flask_babel import lazy_gettext as _l

from app.views.audit import AuditLogView
from app.views.basic import BranchView, DictionaryView, ProductView, StockView
from app.views.churn import ChurnView
from app.views.customer import ActivityView, ContactView, CustomerView
from app.views.lookup import LookupView
from app.views.order import OrderLineView, OrderView
from app.views.permissions import PermissionMatrixView
from app.views.sales import CampaignView, OpportunityView, PlanView
from app.views.service import ServiceView

BASIC = ("Basic data", _l("Basic data"), "fa-database")
CUSTOMERS = ("Customers", _l("Customer management"), "fa-users")
SALES = ("Sales", _l("Sales management"), "fa-bullseye")
SERVICE = ("Service", _l("Service management"), "fa-life-ring")
REPORTS = ("Reports", _l("Reports"), "fa-bar-chart")
SECURITY = ("Security", _l("Security"), "fa-cogs")

# (view, menu name, label, icon, category)
MENU = [
    (CustomerView, "Customers", _l("Customers"), "fa-building", CUSTOMERS),
    (ContactView, "Contacts", _l("Contacts"), "fa-address-book", CUSTOMERS),
    (ActivityView, "Activities", _l("Activities"), "fa-comments", CUSTOMERS),
    (OrderView, "Orders", _l("Orders"), "fa-shopping-cart", CUSTOMERS),
    (ChurnView, "Customer churn", _l("Customer churn"), "fa-user-times", CUSTOMERS),
    (OpportunityView, "Sales opportunities", _l("Sales opportunities"), "fa-lightbulb-o", SALES),
    (PlanView, "Development plans", _l("Development plans"), "fa-tasks", SALES),
    (CampaignView, "Campaigns", _l("Campaigns"), "fa-bullhorn", SALES),
    (ServiceView, "Service tickets", _l("Service tickets"), "fa-ticket", SERVICE),
    (ProductView, "Products", _l("Products"), "fa-cube", BASIC),
    (StockView, "Stock", _l("Stock"), "fa-archive", BASIC),
    (DictionaryView, "Data dictionary", _l("Data dictionary"), "fa-book", BASIC),
    (BranchView, "Branches", _l("Branches"), "fa-sitemap", BASIC),
    (AuditLogView, "Audit log", _l("Audit log"), "fa-history", SECURITY),
    (PermissionMatrixView, "Role permissions", _l("Role permissions"), "fa-check-square-o", SECURITY),
]


def add_menu_view(appbuilder, view, name, label, icon, category):
    cat_name, cat_label, cat_icon = category
    return appbuilder.add_view(
        view, name, label=label, icon=icon, category=cat_name, category_label=cat_label, category_icon=cat_icon
    )


def register_views(appbuilder):
    appbuilder.add_view_no_menu(LookupView)
    appbuilder.add_view_no_menu(OrderLineView)
    for view, name, label, icon, category in MENU:
        add_menu_view(appbuilder, view, name, label, icon, category)
    from app.views.reports import register_report_views

    register_report_views(appbuilder, REPORTS)
