"""Orders with their lines: one sheet row per line, rows with the same 订单编号 form one order
(upsert on the order no.; a re-imported order's lines are replaced only when they differ)."""

import decimal
from collections import defaultdict

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from app.models import ORDER_STATUSES, Order, OrderLine
from app.spreadsheets.columns import Col
from app.spreadsheets.importers.base import Importer, Op, chunks, plain
from app.spreadsheets.importers.customer import CustomerRefs, customer_ref_columns
from app.spreadsheets.importers.product import Products, product_ref_columns

HEADER = ["customer_id", "date", "address", "status"]
LINE = ["product_id", "quantity", "unit", "price"]


class OrderGroup:
    __slots__ = ("record", "header", "lines", "bad")

    def __init__(self, record, header):
        self.record, self.header, self.lines, self.bad = record, header, [], False


class OrderImporter(Importer):
    resource = "order"
    permission = "Order"
    model = Order
    title = _l("Orders")
    columns = (
        [Col("no", _l("Order no."), required=True, max_len=30, example="DD20260101000001")]
        + customer_ref_columns()
        + [
            Col("date", _l("Date"), "date", required=True, example="2026-01-15"),
            Col("address", _l("Address"), max_len=300, example="上海市浦东新区世纪大道 100 号"),
            Col("status", _l("Order status"), "choice", choices=ORDER_STATUSES, default="new", example="New"),
        ]
        + product_ref_columns()
        + [
            Col("quantity", _l("Quantity"), "int", required=True, lo=1, example=2),
            Col("unit", _l("Unit"), max_len=20, example="把"),
            Col("price", _l("Price"), "decimal", lo=0, example=399),
        ]
    )
    extras = [Col("line_amount", _l("Line amount")), Col("amount", _l("Order amount"))]
    one_of = [("customer_no", "customer_name")]

    def plan(self, records, result):
        refs = CustomerRefs(self, records)
        products = Products(self, records)
        groups = {}
        for record in records:
            if record.bad:
                continue
            v = record.values
            customer_id = refs.resolve(record, result)
            product = products.find(record, self, result)
            group = groups.get(v["no"])
            header = (customer_id, v["date"], v.get("address"), v.get("status"))
            if group is None:
                group = groups[v["no"]] = OrderGroup(record, header)
            elif customer_id is not None and group.header[0] is not None and group.header != header:
                result.error(
                    record.number,
                    self.col("no"),
                    gettext("Order details differ from row %(row)s of the same order.", row=group.record.number),
                )
                group.bad = True
            if customer_id is None or product is None:
                group.bad = True
                continue
            price = v["price"] if v.get("price") is not None else product.price
            group.lines.append((product.id, v["quantity"], v.get("unit"), price, product.unit))
        self.plan_orders(groups, result)

    def plan_orders(self, groups, result):
        cols = ["id", "no", "amount"] + HEADER
        existing = {r.no: r for r in self.fetch(Order, cols, Order.no, groups)}
        old_lines = defaultdict(list)
        ids = [r.id for r in existing.values() if r.in_scope]
        for part in chunks(ids):
            stmt = select(OrderLine.id, OrderLine.order_id, *[getattr(OrderLine, c) for c in LINE]).where(
                OrderLine.order_id.in_(part)
            )
            for line in self.session.execute(stmt):
                old_lines[line.order_id].append(line)
        self.line_ops, self.dropped = [], []
        for no, group in groups.items():
            if group.bad:
                continue
            row = existing.get(no)
            if row is not None and not row.in_scope:
                result.error(
                    group.record.number, self.col("no"), gettext("This order no. exists but is not in your data scope.")
                )
                continue
            amount = sum(line[1] * line[3] for line in group.lines)
            values = dict(zip(HEADER, group.header, strict=True), no=no, amount=amount)
            customer_id = values["customer_id"]
            if row is None:
                values = self.with_defaults(values)
                self.add(group.record, result, values=values, customer_id=customer_id)
                self.line_ops.append((self.creates[-1], group))
                continue
            changes = self.changes(row, values, HEADER + ["amount"])
            with_unit = all(line[2] is not None for line in group.lines)  # an empty unit keeps the stored one
            old = sorted(_line_key(line, with_unit) for line in old_lines[row.id])
            new = sorted(_line_key(line, with_unit) for line in group.lines)
            if old != new:
                changes.setdefault("amount", (row.amount, amount))
                self.dropped.extend((line, customer_id) for line in old_lines[row.id])
            self.add(group.record, result, row, changes=changes, customer_id=customer_id)
            if old != new:
                self.line_ops.append((self.updates[-1], group))

    def apply(self, progress):
        super().apply(progress)
        if self.creates:  # a new order closes the customer's open churn record (SPEC §2)
            from app.models.churn import recover_customers

            recover_customers(self.session.connection(), {op.values["customer_id"] for op in self.creates})
        table = OrderLine.__table__
        for part in chunks(self.dropped):
            self.session.execute(delete(table).where(table.c.id.in_([line.id for line, _ in part])))
            self.write_audits(
                self.audit(
                    "order_line",
                    line.id,
                    "delete",
                    {"order_id": line.order_id, **{c: plain(getattr(line, c)) for c in LINE}},
                    customer_id,
                )
                for line, customer_id in part
            )
        lines = []
        for op, group in self.line_ops:
            for line in group.lines:
                product_id, quantity, unit, price, product_unit = line
                values = {"order_id": op.id, "product_id": product_id, "quantity": quantity, "price": price}
                lines.append(Op(op.record, values={**values, "unit": unit or product_unit}))
                lines[-1].customer_id = op.customer_id
        self.insert_rows(table, lines)


def _line_key(line, with_unit=True):
    """(product, quantity, unit, price) comparable between the file and the database."""
    if hasattr(line, "product_id"):
        line = (line.product_id, line.quantity, line.unit, line.price)
    product_id, quantity, unit, price = line[:4]
    price = str(decimal.Decimal(price).quantize(decimal.Decimal("0.01")))
    return (product_id, int(quantity), (unit or "") if with_unit else "", price)
