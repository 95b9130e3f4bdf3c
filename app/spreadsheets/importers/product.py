"""Products (upsert on name + model) and stock (product + warehouse + location)."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.models import Product, Stock
from app.spreadsheets.columns import Col
from app.spreadsheets.importers.base import Importer


class Products:
    """Products by (name, model), for rows that name a product."""

    def __init__(self, importer, records):
        names = {r.values.get("product_name") for r in records if not r.bad}
        rows = importer.fetch(Product, ["id", "name", "model", "unit", "price"], Product.name, names)
        self.by_key = {(r.name, r.model or ""): r for r in rows}

    def find(self, record, importer, result):
        v = record.values
        row = self.by_key.get((v.get("product_name"), v.get("product_model") or ""))
        if row is None:
            result.error(record.number, importer.col("product_name"), gettext("Product not found."))
        return row


def product_ref_columns():
    return [
        Col("product_name", _l("Product"), required=True, max_len=100, example="办公椅"),
        Col("product_model", _l("Model"), max_len=100, default="", example="A1"),
    ]


class ProductImporter(Importer):
    resource = "product"
    permission = "Product"
    model = Product
    title = _l("Products")
    columns = [
        Col("name", _l("Name"), required=True, max_len=100, example="办公椅"),
        Col("model", _l("Model"), max_len=100, default="", example="A1"),
        Col("batch", _l("Batch"), max_len=50, example="2026-01"),
        Col("unit", _l("Unit"), max_len=20, default="件", example="把"),
        Col("price", _l("Price"), "decimal", lo=0, default=0, example=399),
        Col("memo", _l("Memo")),
    ]
    fields = ["name", "model", "batch", "unit", "price", "memo"]

    def plan(self, records, result):
        good = [r for r in records if not r.bad]
        rows = self.fetch(Product, ["id"] + self.fields, Product.name, {r.values["name"] for r in good})
        existing = {(r.name, r.model or ""): r for r in rows}
        seen = {}
        for record in good:
            v = record.values
            key = (v["name"], v.get("model") or "")
            if not self.duplicate(seen, key, record, "name", result):
                self.upsert(record, result, existing.get(key))


class StockImporter(Importer):
    resource = "stock"
    permission = "Stock"
    model = Stock
    title = _l("Stock")
    columns = product_ref_columns() + [
        Col("warehouse", _l("Warehouse"), required=True, max_len=100, example="上海一号仓"),
        Col("location", _l("Location"), max_len=100, default="", example="A-01-02"),
        Col("quantity", _l("Quantity"), "int", required=True, lo=0, example=120),
        Col("memo", _l("Memo")),
    ]
    fields = ["warehouse", "location", "quantity", "memo"]

    def plan(self, records, result):
        products = Products(self, records)
        found = self.resolved(records, lambda record: products.find(record, self, result))
        targets = [(record, product.id) for record, product in found]
        rows = self.fetch(Stock, ["id", "product_id"] + self.fields, Stock.product_id, {p for _, p in targets})
        existing = {(r.product_id, r.warehouse, r.location or ""): r for r in rows}
        seen = {}
        for record, product_id in targets:
            v = record.values
            key = (product_id, v["warehouse"], v.get("location") or "")
            if not self.duplicate(seen, key, record, "warehouse", result):
                self.upsert(record, result, existing.get(key), product_id=product_id)
