"""All CRM models; importing this package registers them on FAB's Model.metadata."""

from . import events  # noqa: F401  (session hooks)
from .audit import AuditLog
from .base import BadInput, Conflict, DomainError, Forbidden, NotFound
from .campaign import Campaign, campaign_customer
from .churn import CHURN_STATUSES, Churn, ChurnMeasure
from .customer import Activity, Contact, Customer, normalise_name, normalise_phone
from .dictionary import DICT_TYPES, Dictionary, dict_items, dict_label
from .order import ORDER_STATUSES, Order, OrderLine
from .org import Branch, CrmUser
from .product import Product, Stock
from .sales import OPPORTUNITY_STATUSES, Opportunity, Plan
from .sequence import Counter
from .service import SERVICE_STATUSES, Service, ServiceRound
from .summary import REVENUE_STATUSES, RevenueCustomerYear, RevenueMonth

__all__ = [
    "Activity",
    "AuditLog",
    "BadInput",
    "Branch",
    "CHURN_STATUSES",
    "Campaign",
    "Churn",
    "ChurnMeasure",
    "Conflict",
    "Contact",
    "Counter",
    "CrmUser",
    "Customer",
    "DICT_TYPES",
    "Dictionary",
    "DomainError",
    "Forbidden",
    "NotFound",
    "OPPORTUNITY_STATUSES",
    "ORDER_STATUSES",
    "Opportunity",
    "Order",
    "OrderLine",
    "Plan",
    "Product",
    "REVENUE_STATUSES",
    "RevenueCustomerYear",
    "RevenueMonth",
    "SERVICE_STATUSES",
    "Service",
    "ServiceRound",
    "Stock",
    "campaign_customer",
    "dict_items",
    "dict_label",
    "normalise_name",
    "normalise_phone",
]
