"""The import template: headers (required ones in red), one example row, and dropdowns for
dictionary and status columns (their names listed on a hidden sheet)."""

import io

from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from app.spreadsheets.export import text_cell

DROPDOWN_ROWS = 5000


def template_bytes(importer):
    wb = Workbook()
    ws = wb.active
    ws.title = str(importer.title)[:31]
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    required_font, fill = Font(bold=True, color="C00000"), PatternFill("solid", fgColor="F2F2F2")
    for index, col in enumerate(importer.columns, start=1):
        cell = ws.cell(row=1, column=index, value=col.header())
        cell.font = required_font if col.required else Font(bold=True)
        cell.fill = fill
        if col.required:
            cell.comment = Comment(gettext("Required"), "CRM")
        example = col.display(col.example) if col.kind in ("dict", "choice") else col.example
        if example not in (None, ""):
            ws.cell(row=2, column=index, value=text_cell(ws, example) if isinstance(example, str) else example)
        ws.column_dimensions[get_column_letter(index)].width = max(12, len(col.header()) * 2 + 4)
        allowed = col.allowed_values()
        if allowed:
            letter = get_column_letter(index)
            for row, name in enumerate(allowed, start=1):
                lists.cell(row=row, column=index, value=name)
            source = f"{quote_sheetname(lists.title)}!${letter}$1:${letter}${len(allowed)}"
            dv = DataValidation(type="list", formula1=source, allow_blank=not col.required)
            dv.error = gettext("Choose a value from the list.")
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{DROPDOWN_ROWS}")
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
