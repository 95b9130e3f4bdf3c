"""An accepted upload as a table: header texts and data rows numbered like the sheet
(header = row 1). Cells that cannot be trusted (formulas, merged ranges) come with a problem
instead of a value; empty rows are skipped."""

import codecs
import csv
import io
import re
import zipfile

from flask import current_app
from flask_babel import lazy_gettext as _l
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from app.spreadsheets.safety import FileRejected

FORMULA = _l("Formulas are not accepted; paste the value instead.")
MERGED = _l("Merged cells are not accepted; unmerge them first.")
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


class Table:
    """headers: the texts of row 1; rows(): (row number, [values], {column index: problem})."""

    def __init__(self, headers, rows, estimate):
        self.headers = headers
        self._rows = rows
        self.estimate = estimate  # rows expected, for progress only

    def rows(self):
        limit = current_app.config["IMPORT_MAX_ROWS"]
        count = 0
        for number, values, problems in self._rows:
            if not problems and all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue  # empty (or trailing) row
            count += 1
            if count > limit:
                raise FileRejected(_l("The file has more than %(n)s data rows.", n=limit), status=413)
            yield number, values, problems


def read_table(kind, data):
    return read_xlsx(data) if kind == "xlsx" else read_csv(data)


# ---------------------------------------------------------------- csv


def decode_text(data):
    """UTF-8 (with or without BOM) or GBK/GB18030; a file that is neither is refused rather
    than read as mojibake."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileRejected(_l("The file's text encoding is not recognised; save it as UTF-8 or GBK.")) from exc


def read_csv(data):
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise FileRejected(_l("The file is empty.")) from exc
    except csv.Error as exc:
        raise FileRejected(_l("The file is not a valid .csv file.")) from exc

    def rows():
        number = 1
        try:
            for record in reader:
                number += 1
                values, problems = [], {}
                for i, raw in enumerate(record):
                    value = raw if raw.strip() else None
                    if value is not None and value.lstrip().startswith("="):
                        problems[i] = FORMULA
                    values.append(value)
                yield number, values, problems
        except csv.Error as exc:
            raise FileRejected(_l("The file is not a valid .csv file.")) from exc

    return Table([h.strip() for h in headers], rows(), max(text.count("\n") - 1, 1))


# ---------------------------------------------------------------- xlsx


def read_xlsx(data):
    try:
        reader = _WorkbookReader(io.BytesIO(data), read_only=True, data_only=False)
        reader.read()
        wb = reader.wb
    except Exception as exc:  # openpyxl raises many types for broken parts, defusedxml its own
        if type(exc).__module__.startswith("defusedxml"):
            raise FileRejected(_l("The workbook contains XML entity declarations, which are not allowed.")) from exc
        raise FileRejected(_l("The file is not a valid .xlsx workbook.")) from exc
    if not wb.worksheets:
        raise FileRejected(_l("The file is empty."))
    ws = wb.worksheets[0]
    ws.reset_dimensions()  # a stale <dimension> would make openpyxl stop early
    estimate = _estimate_rows(data, getattr(ws, "_worksheet_path", None))
    merged = _merged_cells(data, getattr(ws, "_worksheet_path", None))
    try:
        cells = ws.iter_rows()
        header_row = next(cells, None)
    except Exception as exc:
        raise FileRejected(_l("The file is not a valid .xlsx workbook.")) from exc
    if header_row is None:
        raise FileRejected(_l("The file is empty."))
    headers = ["" if c.value is None else str(c.value).strip() for c in header_row]

    def rows():
        number = 1
        try:
            for row in cells:
                number += 1
                values, problems = [], {}
                for i, cell in enumerate(row):
                    value = cell.value
                    if getattr(cell, "data_type", None) == "f":  # text that starts with = is fine
                        problems[i] = FORMULA
                    values.append(value)
                for col in merged.get(number, ()):
                    problems[col] = MERGED
                yield number, values, problems
        except FileRejected:
            raise
        except Exception as exc:
            raise FileRejected(_l("The file is not a valid .xlsx workbook.")) from exc
        finally:
            wb.close()

    header_merges = merged.get(1)
    if header_merges:
        raise FileRejected(MERGED)
    return Table(headers, rows(), estimate)


class _UnsizedSheet(ReadOnlyWorksheet):
    """A read-only worksheet that does not look for its size when opened: without a
    <dimension> element (files of openpyxl and other streaming writers) openpyxl would
    parse the whole sheet once just for that, and read_xlsx resets the size anyway."""

    def _get_size(self):
        pass


class _WorkbookReader(ExcelReader):
    """openpyxl.load_workbook(read_only=True) (openpyxl 3.1), its worksheets unsized."""

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                ws = _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)


def _estimate_rows(data, path):
    """Rows expected, for the progress bar only: the sheet part's size / ~100 bytes a row."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            return max(archive.getinfo((path or "").lstrip("/")).file_size // 100, 1)
        except KeyError:
            return 1


def _merged_cells(data, path):
    """{row number: [column indexes]} of every cell inside a merged range of the sheet.
    Read-only openpyxl does not report merges, so find <mergeCell ref=…> in the sheet part
    (streamed through the decompressor, never parsed as a whole)."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [path.lstrip("/")] if path else [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for name in names:
            if name not in archive.namelist():
                continue
            tail = b""
            with archive.open(name) as part:
                while chunk := part.read(1024 * 1024):
                    block = tail + chunk
                    for ref in _MERGE_RE.findall(block):
                        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
                        for r in range(min_row, min(max_row, min_row + 1000) + 1):
                            found.setdefault(r, []).extend(range(min_col - 1, max_col))
                    tail = block[-200:]
            if path:
                break
    # a ref can straddle two chunks and be seen twice: keep each column once
    return {r: sorted(set(cols)) for r, cols in found.items()}
