"""客户管理: customers (with the 360° page, duplicate warning, bulk transfer), contacts,
activities."""

import datetime as dt

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField
from wtforms.validators import NumberRange, ValidationError

from app.extensions import db
from app.models import Activity, Contact, Customer, dict_items, dict_label
from app.models.customer import CUSTOMER_DETAIL_FIELDS
from app.security import current_user_obj, scope_clause
from app.services import customers as svc
from app.views.audit import describe as describe_audit
from app.views.audit import preload_related
from app.views.base import CrmModelView
from app.views.order import OrderView


def stars(value):
    return "★" * int(value or 0) + "☆" * (5 - int(value or 0))


def _back_to_360(customer_id, tab):
    return redirect(url_for("CustomerView.show", pk=customer_id, tab=tab, _anchor="customer-tabs"))


class ContactView(CrmModelView):
    datamodel = SQLAInterface(Contact)
    class_permission_name = "Contact"
    method_permission_name = {"add_for_customer": "add"}
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

    @expose("/add-for/<int:customer_id>", methods=["POST"])
    @has_access
    def add_for_customer(self, customer_id):
        """The small form on the customer's 360° page."""
        svc.add_contact(customer_id, request.form, current_user_obj())
        flash(gettext("Contact added"), "success")
        return _back_to_360(customer_id, "contacts")


class ActivityView(CrmModelView):
    datamodel = SQLAInterface(Activity)
    class_permission_name = "Activity"
    method_permission_name = {"add_for_customer": "add"}
    list_title = show_title = add_title = edit_title = _l("Activities")
    label_columns = {"place": _l("Place"), "user": _l("Recorded by")}
    dict_types = {"type": "activity_type"}
    list_columns = ["customer", "date", "type", "title", "place", "user"]
    columns = ["customer", "date", "type", "place", "title", "description"]
    search_columns = ["date", "type", "title", "place"]
    base_order = ("date", "desc")

    def pre_add(self, item):
        item.user_id = g.user.id

    @expose("/add-for/<int:customer_id>", methods=["POST"])
    @has_access
    def add_for_customer(self, customer_id):
        """The small form on the customer's 360° page."""
        svc.add_activity(customer_id, request.form, current_user_obj())
        flash(gettext("Activity added"), "success")
        return _back_to_360(customer_id, "activities")


def _warn_duplicates(form, field):
    """Add form: a customer whose normalised name or phone is already known is saved only
    when the user ticks "save anyway"; the template lists the matches with links."""
    if form.confirm_duplicate.data:
        return
    duplicates = svc.find_duplicates(field.data, form.phone.data)
    if not duplicates:
        return
    visible = set(
        db.session.execute(
            select(Customer.id).where(Customer.id.in_([d.id for d in duplicates]), scope_clause(Customer))
        ).scalars()
    )
    g.crm_duplicates = [(d, d.id in visible) for d in duplicates]
    raise ValidationError(_l("A customer with a similar name or the same phone already exists (listed above)."))


# the 360° page's tabs: tab → (label, view-menu whose can_list shows it)
TABS = {
    "contacts": (_l("Contacts"), "Contact"),
    "activities": (_l("Activities"), "Activity"),
    "orders": (_l("Orders"), "Order"),
    "opportunities": (_l("Sales opportunities"), "Opportunity"),
    "services": (_l("Service tickets"), "Service"),
    "churns": (_l("Churn history"), "Churn"),
    "audit": (_l("Audit timeline"), "Customer"),
}


class CustomerView(CrmModelView):
    datamodel = SQLAInterface(Customer)
    class_permission_name = "Customer"
    method_permission_name = {"show_tab": "show"}
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
        "confirm_duplicate": _l("Save anyway"),
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
        *CUSTOMER_DETAIL_FIELDS,
    ]
    add_columns = columns + ["confirm_duplicate"]
    add_form_extra_fields = {
        "confirm_duplicate": BooleanField(
            _l("Save anyway"),
            description=_l("Tick to create this customer although a similar one exists"),
            default=False,
        )
    }
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
    add_template = "customer/add.html"
    list_template = "customer/list.html"
    edit_template = "appbuilder/general/model/edit_cascade.html"
    base_order = ("id", "desc")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_form = type("CustomerAddForm", (self.add_form,), {"validate_name": _warn_duplicates})

    def pre_add(self, item):
        svc.apply_owner(item, g.user)

    def pre_update(self, item):
        super().pre_update(item)
        svc.check_owner_change(item, g.user)

    # -- the 360° page -----------------------------------------------------

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        if not str(pk).isdigit():
            abort(404)
        user = current_user_obj()
        sm = self.appbuilder.sm
        tabs = [tab for tab, (_, menu) in TABS.items() if sm.has_access("can_list", menu)]
        active = request.args.get("tab")
        active = active if active in tabs else (tabs[0] if tabs else None)
        data = svc.customer_360(int(pk), user, tabs, load=[active])
        if active == "audit":
            preload_related(data.tabs.get("audit") or [])
        return self.render_template(
            "customer/show.html",
            title=self.show_title,
            c=data.customer,
            data=data,
            tabs=[(tab, TABS[tab][0]) for tab in tabs],
            active=active,
            can_edit=sm.has_access("can_edit", "Customer"),
            **self._tab_helpers(data.customer.id),
        )

    @expose("/show/<int:pk>/tab/<tab>")
    @has_access
    def show_tab(self, pk, tab):
        """One tab's rows as an HTML fragment, fetched when the tab is opened."""
        if tab not in TABS or not self.appbuilder.sm.has_access("can_list", TABS[tab][1]):
            abort(404)
        rows, total = svc.customer_tab(pk, current_user_obj(), tab)
        if tab == "audit":
            preload_related(rows)
        return self.render_template(
            "customer/tabs.html",
            tab=tab,
            rows=rows,
            total=total,
            **self._tab_helpers(pk),
        )

    def _tab_helpers(self, customer_id):
        """What customer/tabs.html needs besides its rows (the page and the fragment)."""
        sm = self.appbuilder.sm
        svc.preload_dictionaries()
        return {
            "customer_id": customer_id,
            "stars": stars,
            "dict_label": dict_label,
            "describe_audit": describe_audit,
            "can_add_contact": sm.has_access("can_add", "Contact"),
            "can_add_activity": sm.has_access("can_add", "Activity"),
            "activity_types": dict_items("activity_type", db.session),
            "today": dt.date.today().isoformat(),
        }

    # -- bulk transfer (admins) --------------------------------------------

    @action("transfer", _l("Transfer to another manager"), None, "fa-exchange", single=False)
    def transfer_action(self, items):
        return redirect(url_for(".transfer", ids=",".join(str(item.id) for item in items)))

    @expose("/transfer", methods=["GET", "POST"])
    @has_access
    def transfer(self):
        ids = [int(i) for i in (request.values.get("ids") or "").split(",") if i.isdigit()]
        if request.method == "POST":
            moved = svc.transfer_customers(
                request.form.get("to_manager_id", type=int),
                from_manager_id=request.form.get("from_manager_id", type=int),
                customer_ids=ids,
                by=current_user_obj(),
            )
            flash(gettext("%(count)s customer(s) transferred", count=moved), "success")
            return redirect(url_for(".list"))
        chosen = (
            db.session.execute(
                select(Customer).where(Customer.id.in_(ids), scope_clause(Customer)).order_by(Customer.id)
            )
            .scalars()
            .all()
            if ids
            else []
        )
        return self.render_template(
            "customer/transfer.html",
            title=_l("Transfer customers"),
            customers=chosen,
            ids=[c.id for c in chosen],
            user_lookup=url_for("LookupView.lookup", kind="user"),
        )
