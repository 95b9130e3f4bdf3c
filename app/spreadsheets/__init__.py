"""Spreadsheets (SPEC §3): export any list to .xlsx, import five resources from .xlsx / .csv.

safety.py checks an upload before anything parses it, reader.py turns it into rows,
importers/ validate → plan → write in one transaction, export.py streams lists out.
"""

import openpyxl.xml

# openpyxl parses XML through defusedxml when it is importable; refuse to run without it.
if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - guarded by requirements.txt
    raise RuntimeError("defusedxml must be installed: openpyxl would parse uploads with unsafe XML")
