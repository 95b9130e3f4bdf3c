"""Excel export of exactly the numbers under the charts: one sheet per section (write-only)."""

import io
import re

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMATS = {"money": "¥#,##0.00", "pct": "0.0%", "num": "0.00", "int": "#,##0"}
_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _sheet_title(title, used):
    name = re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Sheet"
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def workbook_bytes(title, sections):
    wb = Workbook(write_only=True)
    used = set()
    for section in sections:
        ws = wb.create_sheet(_sheet_title(section.title, used))
        header = []
        for col in section.columns:
            cell = WriteOnlyCell(ws, value=str(col.label))
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for row in section.rows:
            cells = []
            for col in section.columns:
                value = row.get(col.key)
                if isinstance(value, str) and value.startswith(_RISKY):
                    value = "'" + value  # text, never a formula
                cell = WriteOnlyCell(ws, value=value)
                if col.kind in FORMATS and value is not None:
                    cell.number_format = FORMATS[col.kind]
                cells.append(cell)
            ws.append(cells)
    if not used:
        wb.create_sheet(str(title)[:31])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
