"""Menu and screens, grouped by the modules of SPEC §2."""

from flask_babel import lazy_gettext as _l

from app.views.audit import AuditLogView
from app.views.basic import BranchView, DictionaryView, ProductView, StockView
from app.views.churn import ChurnView
from app.views.customer import ActivityView, ContactView, CustomerView
from app.views.lookup import LookupView
from app.views.order import OrderLineView, OrderView
from app.views.permissions import PermissionMatrixView
from app.views.sales import (
    CampaignView,
    DevelopmentPlanView,
    OpportunityArchiveView,
    OpportunityView,
    PipelineBoardView,
    PlanView,
)
from app.views.service import (
    ServiceArchiveView,
    ServiceAssignView,
    ServiceCreateView,
    ServiceFeedbackView,
    ServiceHandleView,
    ServiceView,
)
from app.views.spreadsheets import IMPORT_VIEWS

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
    (DevelopmentPlanView, "Development plans", _l("Customer development plans"), "fa-tasks", SALES),
    (OpportunityArchiveView, "Archived opportunities", _l("Archived opportunities"), "fa-archive", SALES),
    (PipelineBoardView, "Sales pipeline board", _l("Sales pipeline board"), "fa-columns", SALES),
    (CampaignView, "Campaigns", _l("Campaigns"), "fa-bullhorn", SALES),
    (ServiceCreateView, "Create service ticket", _l("Create service ticket"), "fa-plus", SERVICE),
    (ServiceAssignView, "Service assignment", _l("Service assignment"), "fa-share", SERVICE),
    (ServiceHandleView, "Service handling", _l("Service handling"), "fa-wrench", SERVICE),
    (ServiceFeedbackView, "Service feedback", _l("Service feedback"), "fa-comment", SERVICE),
    (ServiceArchiveView, "Service archive", _l("Service archive"), "fa-archive", SERVICE),
    (ServiceView, "Service tickets", _l("Service tickets"), "fa-ticket", SERVICE),
    (ProductView, "Products", _l("Products"), "fa-cube", BASIC),
    (StockView, "Stock", _l("Stock"), "fa-archive", BASIC),
    (DictionaryView, "Data dictionary", _l("Data dictionary"), "fa-book", BASIC),
    (BranchView, "Branches", _l("Branches"), "fa-sitemap", BASIC),
    (AuditLogView, "Audit log", _l("Audit log"), "fa-history", SECURITY),
    (PermissionMatrixView, "Role permissions", _l("Role permissions"), "fa-check-square-o", SECURITY),
]

# 数据导入: one page per importable resource, shown to whoever holds its can_import
IMPORT = ("Import", _l("Data import"), "fa-upload")
MENU += [(view, f"Import {view.importer.resource}", view.importer.title, "fa-upload", IMPORT) for view in IMPORT_VIEWS]


def add_menu_view(appbuilder, view, name, label, icon, category):
    cat_name, cat_label, cat_icon = category
    return appbuilder.add_view(
        view, name, label=label, icon=icon, category=cat_name, category_label=cat_label, category_icon=cat_icon
    )


def register_views(appbuilder):
    appbuilder.add_view_no_menu(LookupView)
    appbuilder.add_view_no_menu(OrderLineView)
    appbuilder.add_view_no_menu(PlanView)
    for view, name, label, icon, category in MENU:
        add_menu_view(appbuilder, view, name, label, icon, category)
    from app.views.reports import register_report_views

    register_report_views(appbuilder, REPORTS)
    order_menu(appbuilder)


def order_menu(appbuilder):
    """Navbar in the order of the modules (FAB adds its 权限管理 first); any other category
    keeps its place just before 权限管理."""
    rank = {cat[0]: i for i, cat in enumerate((BASIC, CUSTOMERS, SALES, SERVICE, REPORTS))}
    appbuilder.menu.menu.sort(
        key=lambda item: len(rank) + 1 if item.name == SECURITY[0] else rank.get(item.name, len(rank))
    )
