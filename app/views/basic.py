"""基础数据: branches, dictionary, products, stock."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import DICT_TYPES, BadInput, Branch, Dictionary, Forbidden, Product, Stock
from app.views.base import CrmModelView, EditableRowsListWidget


class BranchView(CrmModelView):
    datamodel = SQLAInterface(Branch)
    class_permission_name = "Branch"
    list_title = show_title = add_title = edit_title = _l("Branches")
    label_columns = {"code": _l("Code"), "parent": _l("Parent branch"), "path": _l("Position in tree")}
    list_columns = ["path", "code", "parent"]
    base_order = ("code", "asc")
    columns = ["name", "code", "parent"]
    search_columns = ["name", "code"]
    order_columns = ["code"]

    def pre_update(self, item):
        super().pre_update(item)
        node, seen = item.parent, set()
        while node is not None and node.id not in seen:
            if node.id == item.id:
                raise BadInput(_l("A branch cannot be placed under itself"), field="parent")
            seen.add(node.id)
            node = node.parent


def _dict_type_label(value):
    from flask_babel import gettext

    return gettext(DICT_TYPES[value]) if value in DICT_TYPES else value


class DictionaryView(CrmModelView):
    datamodel = SQLAInterface(Dictionary)
    class_permission_name = "Dictionary"
    list_title = show_title = add_title = edit_title = _l("Data dictionary")
    label_columns = {"value": _l("Value"), "sort": _l("Sort"), "editable": _l("Editable")}
    list_columns = ["type", "name", "value", "sort", "editable"]
    columns = ["type", "name", "value", "sort"]
    show_columns = ["type", "name", "value", "sort", "editable"]
    search_columns = ["type", "name", "value", "editable"]
    formatters_columns = {"type": _dict_type_label}
    base_order = ("type", "asc")
    list_widget = EditableRowsListWidget

    def _get_list_widget(self, **kwargs):
        """Built-in items cannot be changed: no edit / delete buttons on their rows."""
        widgets = super()._get_list_widget(**kwargs)
        args = widgets["list"].template_args
        pks = list(args["pks"])
        query = select(Dictionary.id).where(Dictionary.id.in_(pks), Dictionary.editable.is_(True))
        args["editable"] = set(db.session.execute(query).scalars()) if pks else set()
        args["show_endpoint"] = f"{self.endpoint}.show"
        return widgets

    def pre_update(self, item):
        super().pre_update(item)
        if not item.editable:
            raise Forbidden(_l("This dictionary item is built in and cannot be changed"))

    def pre_delete(self, item):
        if not item.editable:
            raise Forbidden(_l("This dictionary item is built in and cannot be deleted"))

    def pre_add(self, item):
        item.editable = True


class ProductView(CrmModelView):
    datamodel = SQLAInterface(Product)
    class_permission_name = "Product"
    list_title = show_title = add_title = edit_title = _l("Products")
    label_columns = {"model": _l("Model"), "batch": _l("Batch")}
    list_columns = ["name", "model", "batch", "unit", "price"]
    columns = ["name", "model", "batch", "unit", "price", "memo"]
    search_columns = ["name", "model", "batch", "price"]


class StockView(CrmModelView):
    """Also the stock query page: filter by product name and warehouse."""

    datamodel = SQLAInterface(Stock)
    class_permission_name = "Stock"
    list_title = show_title = add_title = edit_title = _l("Stock")
    label_columns = {"warehouse": _l("Warehouse"), "location": _l("Location"), "product.name": _l("Product")}
    list_columns = ["product", "warehouse", "location", "quantity"]
    columns = ["product", "warehouse", "location", "quantity", "memo"]
    search_columns = ["product", "warehouse", "location", "quantity"]
    order_columns = ["warehouse", "location", "quantity"]
