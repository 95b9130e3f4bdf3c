"""CrmModelView: the one base for every CRM list/form screen.

It adds what FAB leaves out: data scope on list/show/edit/delete *and* actions,
server-searched pickers for relationships, dictionary selects, status labels,
optimistic locking on edit, and domain errors shown as messages.
"""

import datetime as dt

from flask import abort, flash, redirect, request
from flask_appbuilder import ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField

from app.extensions import db
from app.models import Conflict, DomainError, dict_label
from app.security import SCOPED_MENUS, FilterInScope, scope_clause
from app.views.fields import DictSelectField, LookupField
from app.views.listing import listing_interface

# relationship attribute → lookup kind of its picker
RELATION_LOOKUPS = {
    "customer": "customer",
    "manager": "user",
    "assignee": "user",
    "user": "user",
    "product": "product",
    "campaign": "campaign",
    "opportunity": "opportunity",
    "order": "order",
    "service": "service",
    "branch": "branch",
    "parent": "branch",
}

# column → dictionary type, for every model that stores dictionary values
DICT_COLUMNS = {
    "level": "customer_level",
    "region": "region",
    "industry": "industry",
    "source": "customer_source",
    "channel": "campaign_channel",
    "reason": "churn_reason",
}

# labels shared by all screens; per-view label_columns add to these
COMMON_LABELS = {
    "id": _l("ID"),
    "created_on": _l("Created on"),
    "changed_on": _l("Changed on"),
    "created_by": _l("Created by"),
    "creator": _l("Creator"),
    "status": _l("Status"),
    "status_label": _l("Status"),
    "memo": _l("Memo"),
    "name": _l("Name"),
    "customer": _l("Customer"),
    "branch": _l("Branch"),
    "manager": _l("Account manager"),
    "phone": _l("Phone"),
    "description": _l("Description"),
    "date": _l("Date"),
    "type": _l("Type"),
    "title": _l("Title"),
    "address": _l("Address"),
    "product": _l("Product"),
    "quantity": _l("Quantity"),
    "unit": _l("Unit"),
    "price": _l("Price"),
    "amount": _l("Amount"),
    "satisfaction": _l("Satisfaction"),
    "assignee": _l("Assignee"),
    "assigned_on": _l("Assigned on"),
    "campaign": _l("Campaign"),
    "level": _l("Customer level"),
    "region": _l("Region"),
    "industry": _l("Industry"),
    "source": _l("Source"),
    "reason": _l("Churn reason"),
    "channel": _l("Channel"),
    "user": _l("User"),
    "no": _l("No."),
    "version": _l("Version"),
}


def _dict_formatter(dict_type):
    return lambda value: dict_label(dict_type, value)


def format_value(value):
    """How a plain value reads on a page: booleans as 是/否, nothing as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")  # no microseconds
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)  # e.g. a user's roles, not "[Admin]"
    return value


def _blank_none(formatter):
    return lambda value: "" if value is None else formatter(value)


class CrmModelView(ModelView):
    """Declare `columns` once; list/show/add/edit default to it."""

    columns = None  # shared field list for show/add/edit
    scoped = None  # set automatically: True when scope_clause restricts the model
    dict_types = {}  # extra column → dictionary type for this view
    page_size = 20
    exclude_route_methods = {"download"}  # FAB's file-upload route; our export is separate
    form_version_message = _l("This record was changed by someone else meanwhile; reload and try again.")
    list_template = "spreadsheets/list.html"  # FAB's list + 导出 Excel button

    def __init__(self, **kwargs):
        cls = type(self)
        self.datamodel = listing_interface(cls.datamodel, cls.list_columns)  # bounded count, fast paging
        if cls.columns:
            for attr in ("show_columns", "add_columns", "edit_columns"):
                if getattr(cls, attr, None) is None:
                    setattr(self, attr, list(cls.columns))
        self.label_columns = {**COMMON_LABELS, **(cls.label_columns or {})}
        model = self.datamodel.obj
        self.base_filters = list(cls.base_filters or []) + [["id", FilterInScope, None]]
        dict_types = {c: t for c, t in {**DICT_COLUMNS, **cls.dict_types}.items() if hasattr(model, c)}
        self._dict_types = dict_types
        self.formatters_columns = {
            **{c: _dict_formatter(t) for c, t in dict_types.items()},
            **(cls.formatters_columns or {}),
        }
        self.add_form_extra_fields = {**self._auto_fields(self.add_columns or []), **(cls.add_form_extra_fields or {})}
        edit_extra = {**self._auto_fields(self.edit_columns or []), **(cls.edit_form_extra_fields or {})}
        if hasattr(model, "version"):
            edit_extra["form_version"] = HiddenField()
            self.edit_columns = list(self.edit_columns or []) + ["form_version"]
        self.edit_form_extra_fields = edit_extra
        super().__init__(**kwargs)
        self.extra_args = {**self.extra_args, "crm_view": self}
        shown = set(self.list_columns or []) | set(self.show_columns or [])
        self.formatters_columns = {
            **{c: format_value for c in shown},
            **{c: _blank_none(f) for c, f in self.formatters_columns.items()},
        }

    def _auto_fields(self, columns):
        model = self.datamodel.obj
        fields = {}
        for col in columns:
            if col in self._dict_types:
                required = not getattr(model, col).property.columns[0].nullable
                fields[col] = DictSelectField(
                    self.label_columns.get(col, col),
                    dict_type=self._dict_types[col],
                    validators=self._required(required),
                )
            elif col in RELATION_LOOKUPS and self.datamodel.is_relation(col):
                required = not all(c.nullable for c in getattr(model, col).property.local_columns)
                fields[col] = LookupField(
                    self.label_columns.get(col, col),
                    kind=RELATION_LOOKUPS[col],
                    validators=self._required(required),
                )
        return fields

    @staticmethod
    def _required(required):
        from wtforms.validators import DataRequired, Optional

        return [DataRequired()] if required else [Optional()]

    # -- optimistic locking ------------------------------------------------

    def prefill_form(self, form, pk):
        if "form_version" in form:
            item = self.datamodel.get(pk, self._base_filters)
            form.form_version.data = item.version if item else ""

    def pre_update(self, item):
        seen = getattr(item, "form_version", None)
        if seen not in (None, "") and str(seen) != str(item.version):
            raise Conflict(self.form_version_message)

    # -- scope on FAB's action routes (it loads rows without base filters) --

    def _scoped_get(self, pk):
        return self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)

    def action(self, name, pk):
        if not self.is_get_mutation_allowed():
            return super().action(name, pk)
        if self._scoped_get(pk) is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])  # an override without it loses FAB's route
    def action_post(self):
        name = request.form.get("action")
        if name not in self.actions:
            abort(400)
        pks = request.form.getlist("rowid")
        items = [self._scoped_get(pk) for pk in pks]
        if any(item is None for item in items):
            abort(404)
        permission_name = self.get_action_permission_name(name)
        if not self.appbuilder.sm.has_access(permission_name, self.class_permission_name):
            flash(gettext("Access is Denied"), "danger")
            return redirect(self.get_redirect())
        try:
            return self.actions[name].func(items)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(self.get_redirect())

    # -- 导出 Excel: exactly the rows the list shows (filters, search, sort, scope) --

    @expose("/export/")
    @has_access
    def export(self):
        from flask_appbuilder.urltools import get_order_args

        from app.spreadsheets.export import Layout, export_filename, export_query, file_response, write_workbook

        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if order_column not in (self.order_columns or []):
            order_column, order_direction = "", ""
        get_filter_args(self._filters)
        filters = self._filters.get_joined_filters(self._base_filters)
        query = export_query(self, filters, order_column, order_direction)
        path = write_workbook(Layout.for_view(self), query)
        return file_response(path, export_filename(self.list_title))


class EditableRowsListWidget(ListWidget):
    """FAB's list with edit / delete only on the rows in `editable` (the view's
    _get_list_widget fills it, and `show_endpoint` for the magnifier)."""

    template = "sales/list_widget.html"


def status_field(label, statuses):
    """A select over a status map {code: English label}; shown translated."""
    from wtforms import SelectField

    return SelectField(label, choices=[(code, _l(text)) for code, text in statuses.items()])


def status_formatter(statuses):
    return lambda value: gettext(statuses.get(value, value)) if value else ""


def scoped_query(model, user=None):
    """A query over `model` limited to the user's data scope (for pages outside ModelView)."""
    return db.session.query(model).filter(scope_clause(model, user))


__all__ = ["CrmModelView", "SQLAInterface", "has_access", "get_filter_args", "SCOPED_MENUS", "scoped_query"]
