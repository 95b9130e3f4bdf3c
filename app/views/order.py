"""订单 with its lines (edited inside the order's page)."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange

from app.models import ORDER_STATUSES, Order, OrderLine
from app.views.base import CrmModelView, status_field, status_formatter


class OrderLineView(CrmModelView):
    datamodel = SQLAInterface(OrderLine)
    class_permission_name = "Order"
    list_title = show_title = add_title = edit_title = _l("Order lines")
    label_columns = {"order": _l("Order")}
    list_columns = ["product", "quantity", "unit", "price", "amount"]  # shown inside its order
    columns = ["order", "product", "quantity", "unit", "price"]
    show_columns = ["order", "product", "quantity", "unit", "price", "amount"]
    search_columns = ["quantity", "price"]
    validators_columns = {"quantity": [NumberRange(min=1)], "price": [NumberRange(min=0)]}

    def pre_add(self, item):
        if not item.unit and item.product is not None:
            item.unit = item.product.unit
        if not item.price and item.product is not None:
            item.price = item.product.price

    def post_add(self, item):
        self._refresh_total(item)

    def post_update(self, item):
        self._refresh_total(item)

    def post_delete(self, item):
        self._refresh_total(item)

    def _refresh_total(self, item):
        from app.extensions import db

        order = db.session.get(Order, item.order_id)
        if order is not None:
            order.recompute_amount()
            db.session.commit()


class OrderView(CrmModelView):
    datamodel = SQLAInterface(Order)
    class_permission_name = "Order"
    list_title = show_title = add_title = edit_title = _l("Orders")
    label_columns = {"no": _l("Order no."), "status": _l("Order status")}
    list_columns = ["no", "customer", "date", "amount", "status"]
    columns = ["customer", "date", "address", "status"]
    show_columns = ["no", "customer", "date", "address", "status", "amount"]
    search_columns = ["no", "date", "status", "amount"]
    order_columns = ["no", "date", "amount", "status"]
    formatters_columns = {"status": status_formatter(ORDER_STATUSES)}
    related_views = [OrderLineView]
    show_template = "order/show.html"
    edit_template = "appbuilder/general/model/edit_cascade.html"
    base_order = ("date", "desc")
    add_form_extra_fields = edit_form_extra_fields = {"status": status_field(_l("Order status"), ORDER_STATUSES)}
