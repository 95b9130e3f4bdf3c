"""Import and export of N customers (default 100,000) on a fresh SQLite database:
wall time and peak Python memory (tracemalloc) of each step.

    .venv/bin/python bench/sheets_bench.py [--rows 100000] [--database-url sqlite:///...]

Logging is quietened to errors. Steps: build the .xlsx (not measured) → preview (dry run) → commit → re-import (no
changes) → export of the customer list as the admin sees it.
"""

import argparse
import io
import logging
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_xlsx(rows):
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(["客户名称", "地区", "行业", "客户等级", "满意度", "信用度", "地址", "电话", "注册资金（万元）"])
    regions, industries = ["华东", "华北", "华南"], ["制造业", "金融", "零售"]
    for i in range(rows):
        ws.append(
            [
                f"基准测试客户{i:06d}有限公司",
                regions[i % 3],
                industries[i % 3],
                "普通客户",
                1 + i % 5,
                1 + (i // 5) % 5,
                f"上海市浦东新区世纪大道 {i} 号",
                f"021-{50000000 + i}",
                100 + i % 1000,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


TRACE = False


def max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(label, call):
    """Wall time, the process's max RSS after the step, and (--tracemalloc, slower) the
    step's own peak of Python allocations."""
    if TRACE:
        tracemalloc.start()
    started = time.perf_counter()
    value = call()
    seconds = time.perf_counter() - started
    line = f"{label:<28} {seconds:8.1f} s   max RSS {max_rss_mb():7.0f} MB"
    if TRACE:
        line += f"   traced peak {tracemalloc.get_traced_memory()[1] / 1024 / 1024:7.1f} MB"
        tracemalloc.stop()
    print(line, flush=True)
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (2-3× slower)")
    args = parser.parse_args()
    global TRACE
    TRACE = args.tracemalloc
    instance = tempfile.mkdtemp(prefix="crm-bench-")
    os.environ["CRM_INSTANCE_DIR"] = instance
    url = args.database_url or f"sqlite:///{instance}/bench.db"

    from flask import g

    from app import create_app
    from app.extensions import db
    from app.services.setup import init_all
    from app.spreadsheets.export import Layout, export_query, write_workbook
    from app.spreadsheets.importers import IMPORTERS
    from app.spreadsheets.reader import read_table
    from app.spreadsheets.safety import check_upload

    logging.disable(logging.WARNING)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ADMIN_PASSWORD": "Bench-Pass-2026!", "TESTING": True})
    with app.app_context():
        init_all(app.appbuilder)
    data = build_xlsx(args.rows)
    print(f"{args.rows} customers, upload {len(data) / 1024 / 1024:.1f} MB, database {url}")
    print(f"{'baseline (app + file built)':<28} {'':>10}   max RSS {max_rss_mb():7.0f} MB")

    with app.test_request_context():
        admin = app.appbuilder.sm.find_user(username="admin")
        g.user, g.crm_actor_id = admin, admin.id

        def run(dry_run):
            table = read_table(check_upload("bench.xlsx", data), data)
            result = IMPORTERS["customer"](admin).run(table, dry_run=dry_run).as_dict()
            assert not result["errors"], result["errors"][:5]
            return result

        r = measure("import preview (dry run)", lambda: run(True))
        r = measure("import commit", lambda: run(False))
        print(f"  created {r['created']}, updated {r['updated']}")
        r = measure("re-import (unchanged)", lambda: run(False))
        print(f"  created {r['created']}, updated {r['updated']}, unchanged {r['unchanged']}")

        view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "CustomerView")
        view._filters.clear_filters()

        def export():
            query = export_query(view, view._filters.get_joined_filters(view._base_filters))
            path = write_workbook(Layout.for_view(view), query)
            size = os.path.getsize(path)
            os.unlink(path)
            return size

        size = measure("export", export)
        print(f"  export file {size / 1024 / 1024:.1f} MB")
        db.session.remove()


if __name__ == "__main__":
    main()
