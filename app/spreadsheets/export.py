"""Export a list to .xlsx: the rows a list shows (filters, search, sort, data scope), streamed.

Rows come from the database in batches (yield_per: a server-side cursor on PostgreSQL),
go through openpyxl's write-only workbook (rows are written to a temporary file, not kept),
and the finished file is sent in chunks and deleted. Lists of importable resources use the
import layout, so an exported file can be edited and imported back."""

import datetime as dt
import os
import re
import tempfile
from urllib.parse import quote

from flask import Response
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy.orm import joinedload, selectinload

from app.models import Order, OrderLine, dict_label
from app.spreadsheets.importers import BY_MODEL

RISKY = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# import-layout keys read through a relationship
RELATED = {
    "manager": lambda o: str(o.manager) if o.manager is not None else None,
    "branch": lambda o: str(o.branch) if o.branch is not None else None,
    "customer_no": lambda o: o.customer.no if o.customer is not None else None,
    "customer_name": lambda o: o.customer.name if o.customer is not None else None,
    "product_name": lambda o: o.product.name if o.product is not None else None,
    "product_model": lambda o: o.product.model if o.product is not None else None,
}


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
    """Headers and how one record becomes sheet rows."""

    def __init__(self, title, headers, row_values, eager=()):
        self.title = title
        self.headers = headers
        self.row_values = row_values  # record → iterable of value lists
        self.eager = eager  # relationships to load with the rows

    @classmethod
    def for_view(cls, view):
        importer = BY_MODEL.get(view.datamodel.obj)
        if importer is not None:
            return cls.for_import(importer)
        return cls.for_list(view)

    @classmethod
    def for_import(cls, importer):
        columns = importer.columns + importer.extras
        model = importer.model
        if model is Order:
            return cls._orders(importer, columns)

        def values(obj):
            row = []
            for col in columns:
                value = RELATED[col.key](obj) if col.key in RELATED else getattr(obj, col.key, None)
                row.append(col.display(value))
            yield row

        eager = [
            joinedload(getattr(model, rel))
            for rel in ("manager", "branch", "customer", "product")
            if any(c.key in RELATED and hasattr(model, rel) for c in columns)
        ]
        return cls(importer.title, [c.header() for c in columns], values, eager)

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
    """Write every record of `query` to a temporary .xlsx file; return its path."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(layout.title))
    header = []
    for text in layout.headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    if layout.eager:
        query = query.options(*layout.eager)
    for obj in query.yield_per(BATCH):
        for values in layout.row_values(obj):
            ws.append([text_cell(ws, v) if isinstance(v, str) else v for v in values])
    fd, path = tempfile.mkstemp(prefix="crm-export-", suffix=".xlsx")
    os.close(fd)
    wb.save(path)
    return path


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
