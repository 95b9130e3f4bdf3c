"""Export a list to .xlsx: the rows a list shows (filters, search, sort, data scope), streamed.

Rows come from the database in batches (yield_per: a server-side cursor on PostgreSQL) and
are streamed into a temporary file by app.spreadsheets.xlsx (nothing kept in memory); the
finished file is sent in chunks and deleted. Lists of importable resources use the import
layout, so an exported file can be edited and imported back. Those select plain columns
(no ORM objects); dictionary, user and branch names come from small dicts loaded once."""

import datetime as dt
import os
import re
import tempfile
from urllib.parse import quote

from flask import Response
from flask_babel import gettext
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import Branch, CrmUser, Customer, Order, OrderLine, Product, dict_items, dict_label
from app.models.customer import CUSTOMER_STATUSES
from app.spreadsheets.importers import BY_MODEL
from app.spreadsheets.xlsx import write_xlsx

RISKY = ("=", "+", "-", "@", "\t", "\r")
BATCH = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# import-layout keys read through a relationship (the order layout reads records)
RELATED = {
    "customer_no": lambda o: o.customer.no if o.customer is not None else None,
    "customer_name": lambda o: o.customer.name if o.customer is not None else None,
    "product_name": lambda o: o.product.name if o.product is not None else None,
    "product_model": lambda o: o.product.model if o.product is not None else None,
}

# the same keys as correlated scalar subqueries (one statement for all rows):
# key → (related model, foreign key, column)
SUBQUERIES = {
    "customer_no": (Customer, "customer_id", "no"),
    "customer_name": (Customer, "customer_id", "name"),
    "product_name": (Product, "product_id", "name"),
    "product_model": (Product, "product_id", "model"),
}

# status codes shown by their translated names: key → (column, {code: English label})
LABELS = {"status_label": ("status", CUSTOMER_STATUSES)}


def text_cell(ws, value):
    """A string cell that spreadsheet programs never evaluate: = + - @ tab CR stay text."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith(RISKY):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


class Layout:
    """Headers and how the list's rows become sheet rows: either `columns` (SQL expressions
    selected instead of records; `row_values` maps one result row to one sheet row) or
    records loaded with `eager` relationships (`row_values` yields the sheet rows of one)."""

    def __init__(self, title, headers, row_values, eager=(), columns=None):
        self.title = title
        self.headers = headers
        self.row_values = row_values
        self.eager = eager
        self.columns = columns

    @classmethod
    def for_view(cls, view):
        importer = BY_MODEL.get(view.datamodel.obj)
        if importer is not None:
            return cls.for_import(importer)
        return cls.for_list(view)

    @classmethod
    def for_import(cls, importer):
        columns = importer.columns + importer.extras
        if importer.model is Order:
            return cls._orders(importer, columns)
        selected, converted = [], []
        for index, col in enumerate(columns):
            expression, convert = _column_source(importer.model, col)
            selected.append(expression)
            if convert is not None:
                converted.append((index, convert))

        def values(row):
            row = list(row)
            for index, convert in converted:
                if row[index] is not None:
                    row[index] = convert(row[index])
            return row

        return cls(importer.title, [c.header() for c in columns], values, columns=selected)

    @classmethod
    def _orders(cls, importer, columns):
        def values(order):
            lines = order.lines or [None]
            for line in lines:
                row = []
                for col in columns:
                    if col.key in ("product_name", "product_model"):
                        value = RELATED[col.key](line) if line is not None else None
                    elif col.key in ("quantity", "unit", "price"):
                        value = getattr(line, col.key) if line is not None else None
                    elif col.key == "line_amount":
                        value = line.amount if line is not None else None
                    elif col.key in RELATED:
                        value = RELATED[col.key](order)
                    else:
                        value = getattr(order, col.key)
                    row.append(col.display(value))
                yield row

        eager = [joinedload(Order.customer), selectinload(Order.lines).joinedload(OrderLine.product)]
        return cls(importer.title, [c.header() for c in columns], values, eager)

    @classmethod
    def for_list(cls, view):
        """The list's own columns and labels; dictionary codes as names, statuses translated."""
        columns = list(view.list_columns)
        dict_types = getattr(view, "_dict_types", {})
        formatters = view.formatters_columns or {}
        datamodel = view.datamodel

        def cell(obj, col):
            value = obj
            for part in col.split("."):
                value = getattr(value, part, None) if value is not None else None
            if col in dict_types:
                return dict_label(dict_types[col], value)
            if isinstance(value, str) and col in formatters:
                return formatters[col](value)  # status codes → their names
            if isinstance(value, bool):
                return gettext("Yes") if value else gettext("No")
            if value is None or isinstance(value, (int, float, dt.date)) or type(value).__name__ == "Decimal":
                return value
            return str(value)

        def values(obj):
            yield [cell(obj, c) for c in columns]

        eager = [
            joinedload(getattr(datamodel.obj, c))
            for c in columns
            if "." not in c and datamodel.is_relation_many_to_one(c)
        ]
        return cls(view.list_title, [str(view.label_columns.get(c, c)) for c in columns], values, eager)


def write_workbook(layout, query):
    """Write every row of `query` to a temporary .xlsx file; return its path."""
    if layout.columns is not None:
        rows = (layout.row_values(r) for r in query.with_entities(*layout.columns).yield_per(BATCH))
    else:
        if layout.eager:
            query = query.options(*layout.eager)
        rows = (values for obj in query.yield_per(BATCH) for values in layout.row_values(obj))
    fd, path = tempfile.mkstemp(prefix="crm-export-", suffix=".xlsx")
    os.close(fd)
    try:
        write_xlsx(path, _sheet_title(layout.title), [str(h) for h in layout.headers], rows)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _column_source(model, col):
    """(SQL expression, converter of a non-empty value or None) of one import-layout column."""
    if col.key == "manager":
        users = select(CrmUser.id, CrmUser.username, CrmUser.first_name, CrmUser.last_name)
        return model.manager_id, _names(
            users, lambda r: f"{r.last_name or ''}{r.first_name or ''}".strip() or r.username
        )
    if col.key == "branch":
        return model.branch_id, _names(select(Branch.id, Branch.name), lambda r: r.name)
    if col.key in SUBQUERIES:
        related, fk, attr = SUBQUERIES[col.key]
        subquery = select(getattr(related, attr)).where(related.id == getattr(model, fk)).scalar_subquery()
        return subquery.label(col.key), None
    if col.key in LABELS:
        key, labels = LABELS[col.key]
        return getattr(model, key), _cached(lambda code: gettext(labels.get(code, code)))
    expression = getattr(model, col.key)
    if col.kind == "dict":
        names = dict(dict_items(col.dict_type, db.session))
        return expression, lambda code: names.get(code, code)
    if col.kind in ("choice", "bool"):
        return expression, _cached(col.display)
    return expression, None


def _names(stmt, name):
    """id → display name over a small table (users, branches), loaded once per export;
    the same text as the record's str()."""
    names = {r.id: name(r) for r in db.session.execute(stmt)}
    return lambda pk: names.get(pk, pk)


def _cached(convert):
    """`convert` remembered per distinct value (statuses, choices: a handful of values)."""
    seen = {}

    def cached(value):
        if value not in seen:
            seen[value] = convert(value)
        return seen[value]

    return cached


def file_response(path, filename):
    """Send a finished file in chunks and delete it afterwards."""

    def chunks():
        try:
            with open(path, "rb") as fh:
                while block := fh.read(64 * 1024):
                    yield block
        finally:
            os.unlink(path)

    response = Response(chunks(), mimetype=XLSX, direct_passthrough=True)
    response.headers["Content-Length"] = str(os.path.getsize(path))
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def export_filename(name):
    return f"{name}-{dt.date.today().isoformat()}.xlsx"


def _sheet_title(title):
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Sheet"


def export_query(view, filters, order_column="", order_direction=""):
    """The list's query: its base filters (data scope) + request filters, its sort."""
    datamodel = view.datamodel
    if not order_column and view.base_order:
        order_column, order_direction = view.base_order
    query = datamodel.session.query(datamodel.obj)
    query = datamodel.apply_all(query, filters, order_column, order_direction)
    if not order_column:
        query = query.order_by(datamodel.obj.id)
    return query
