"""A streaming .xlsx writer for exports: one sheet, rows of plain values, written straight
into the zip (nothing kept in memory but one batch of rows).

openpyxl builds an object and an XML element for every cell, ~10 µs each: 100,000 rows of
24 columns took 25-30 s. Here a row is one formatted string. Cell types: text (inline
strings; = + - @ tab CR at the start stay text, with Excel's quote prefix), numbers
(int, float, Decimal), dates and datetimes (date-formatted serial numbers), booleans."""

import datetime as dt
import decimal
import math
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

# cell styles (indexes into cellXfs below)
DATE, HEADER, QUOTED, DATETIME = 1, 2, 3, 4
RISKY = ("=", "+", "-", "@", "\t", "\r")
FLUSH_ROWS = 1000

# anything a plain string cannot be written as-is for: XML specials, characters XML 1.0
# forbids, a risky first character, whitespace at either end (needs xml:space)
_CARE_RE = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|^[\s=+\-@]|\s$")
_ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""

_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""

_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""

_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name=%s sheetId="1" r:id="rId1"/></sheets></workbook>"""

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>\
<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""

_SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"""
_SHEET_TAIL = "</sheetData></worksheet>"


def write_xlsx(path, title, headers, rows):
    """Write a one-sheet workbook to `path`: bold `headers`, then every row of `rows`."""
    letters = [get_column_letter(i) for i in range(1, max(len(headers), 1) + 1)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=5) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK % quoteattr(title))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.encode())
            sheet.write(_header_row(headers, letters))
            batch = []
            for number, values in enumerate(rows, 2):
                if len(values) > len(letters):
                    letters += [get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1)]
                batch.append(_row(number, values, letters))
                if len(batch) >= FLUSH_ROWS:
                    sheet.write(b"".join(batch))
                    batch.clear()
            sheet.write(b"".join(batch))
            sheet.write(_SHEET_TAIL.encode())


def _row(number, values, letters):
    parts = [f'<row r="{number}">']
    for letter, value in zip(letters, values, strict=False):
        if value is not None:
            cell = _cell(value)
            if cell is not None:
                parts.append(f'<c r="{letter}{number}"{cell[0]}>{cell[1]}</c>')
    parts.append("</row>")
    return "".join(parts).encode()


def _header_row(headers, letters):
    cells = [_text(h, HEADER) for h in headers]
    body = "".join(
        f'<c r="{letter}1"{attrs}>{inner}</c>' for letter, (attrs, inner) in zip(letters, cells, strict=False)
    )
    return f'<row r="1">{body}</row>'.encode()


def _cell(value):
    """(attributes, inner XML) of one cell, or None for an empty one."""
    kind = type(value)
    if kind is str:
        if not value:
            return None
        if _CARE_RE.search(value) is None:
            return ' t="inlineStr"', f"<is><t>{value}</t></is>"
        return _text(value)
    if kind is bool:
        return ' t="b"', f"<v>{int(value)}</v>"
    if kind is int:
        return "", f"<v>{value}</v>"
    if kind is float:
        return ("", f"<v>{value!r}</v>") if math.isfinite(value) else None
    if kind is decimal.Decimal:
        return ("", f"<v>{value}</v>") if value.is_finite() else None
    if kind is dt.datetime:
        serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        return f' s="{DATETIME}"', f"<v>{serial!r}</v>"
    if kind is dt.date:
        return f' s="{DATE}"', f"<v>{(value - _EPOCH_DATE).days}</v>"
    return _cell(str(value))


def _text(value, style=None):
    """A text cell written carefully: forbidden characters dropped, XML escaped, surrounding
    whitespace kept, and text a spreadsheet would evaluate marked as plain text."""
    value = _ILLEGAL_RE.sub("", str(value))
    if style is None and value.startswith(RISKY):
        style = QUOTED
    space = ' xml:space="preserve"' if value != value.strip() else ""
    body = escape(value).replace("\r", "&#13;")
    attrs = ' t="inlineStr"' + (f' s="{style}"' if style is not None else "")
    return attrs, f"<is><t{space}>{body}</t></is>"
