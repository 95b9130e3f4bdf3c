"""客户管理: customers, contacts, activities."""

from flask import g
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange

from app.models import Activity, Contact, Customer
from app.services.customers import apply_owner, check_owner_change
from app.views.base import CrmModelView
from app.views.order import OrderView


def stars(value):
    return "★" * int(value or 0) + "☆" * (5 - int(value or 0))


class ContactView(CrmModelView):
    datamodel = SQLAInterface(Contact)
    class_permission_name = "Contact"
    list_title = show_title = add_title = edit_title = _l("Contacts")
    label_columns = {
        "name": _l("Contact name"),
        "gender": _l("Gender"),
        "position": _l("Position"),
        "mobile": _l("Mobile"),
        "email": _l("Email"),
        "is_primary": _l("Primary contact"),
    }
    list_columns = ["customer", "name", "position", "phone", "mobile", "email", "is_primary"]
    columns = ["customer", "name", "gender", "position", "phone", "mobile", "email", "is_primary", "memo"]
    search_columns = ["name", "position", "phone", "mobile", "email", "is_primary"]


class ActivityView(CrmModelView):
    datamodel = SQLAInterface(Activity)
    class_permission_name = "Activity"
    list_title = show_title = add_title = edit_title = _l("Activities")
    label_columns = {"place": _l("Place"), "user": _l("Recorded by")}
    dict_types = {"type": "activity_type"}
    list_columns = ["customer", "date", "type", "title", "place", "user"]
    columns = ["customer", "date", "type", "place", "title", "description"]
    search_columns = ["date", "type", "title", "place"]
    base_order = ("date", "desc")

    def pre_add(self, item):
        item.user_id = g.user.id


class CustomerView(CrmModelView):
    datamodel = SQLAInterface(Customer)
    class_permission_name = "Customer"
    list_title = show_title = add_title = edit_title = _l("Customers")
    label_columns = {
        "no": _l("Customer no."),
        "name": _l("Customer name"),
        "satisfaction": _l("Satisfaction"),
        "credit": _l("Credit"),
        "zip": _l("Zip code"),
        "fax": _l("Fax"),
        "website": _l("Website"),
        "licence_no": _l("Business licence no."),
        "legal_person": _l("Legal person"),
        "registered_capital": _l("Registered capital (10k CNY)"),
        "turnover": _l("Annual turnover"),
        "bank": _l("Bank"),
        "bank_account": _l("Bank account"),
        "local_tax_no": _l("Local tax no."),
        "national_tax_no": _l("National tax no."),
        "status_label": _l("Status"),
    }
    list_columns = ["no", "name", "region", "level", "credit", "satisfaction", "manager", "branch", "status_label"]
    columns = [
        "name",
        "region",
        "industry",
        "level",
        "source",
        "satisfaction",
        "credit",
        "manager",
        "branch",
        "address",
        "zip",
        "phone",
        "fax",
        "website",
        "licence_no",
        "legal_person",
        "registered_capital",
        "turnover",
        "bank",
        "bank_account",
        "local_tax_no",
        "national_tax_no",
    ]
    show_columns = ["no", "status_label"] + columns
    search_columns = [
        "no",
        "name",
        "region",
        "industry",
        "level",
        "status",
        "satisfaction",
        "credit",
        "branch",
        "phone",
    ]
    order_columns = ["no", "name", "region", "level", "credit", "satisfaction"]
    formatters_columns = {"satisfaction": stars, "credit": stars}
    validators_columns = {"satisfaction": [NumberRange(1, 5)], "credit": [NumberRange(1, 5)]}
    related_views = [ContactView, ActivityView, OrderView]
    show_template = "appbuilder/general/model/show_cascade.html"
    edit_template = "appbuilder/general/model/edit_cascade.html"
    base_order = ("id", "desc")

    def pre_add(self, item):
        apply_owner(item, g.user)

    def pre_update(self, item):
        super().pre_update(item)
        check_owner_change(item, g.user)
