"""The bulk operations of the benchmark: churn scan, export and import of 100,000 rows.

Each returns (name, seconds, peak MB or None, note), or None when the feature is not in
this tree yet. Peak MB: how far the process's peak RSS rose above its size before the step
(0 when it stayed below an earlier peak). The data set is left as it was: the scan runs in
a transaction that is rolled back, imported customers are deleted afterwards.
"""

import io
import resource
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

ROWS = 100_000


def _rolled_back(app, work):
    """Run work(session) in a transaction rolled back at the end; commits become savepoints."""
    from app.extensions import db

    with db.engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            return work(session)
        finally:
            session.close()
            outer.rollback()


def churn_scan(app):
    try:
        from app.services.churn import scan
    except ImportError:
        return None
    start = time.perf_counter()
    created = _rolled_back(app, lambda session: scan(session))
    return ("churn scan", time.perf_counter() - start, None, f"{created:,} warnings created (rolled back)")


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _peak(fn):
    """(result, seconds, MB the process's peak RSS rose above its size before fn)."""
    before = _rss_mb()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result, seconds, max(0.0, peak - before)


def _director(app):
    from app.extensions import db
    from bench.run import bench_users

    return app.appbuilder.sm.get_user_by_id(bench_users(db.engine)["SalesDirector"].id)


def export(app):
    """The customer list export as a director sees it, limited to the newest 100,000 rows."""
    try:
        from app.spreadsheets.export import Layout, export_query, write_workbook
    except ImportError:
        return None
    import os

    from flask import g

    from app.extensions import db

    with db.engine.connect() as conn:
        floor = conn.execute(text(f"SELECT id FROM customer ORDER BY id DESC LIMIT 1 OFFSET {ROWS}")).scalar() or 0
        rows = conn.execute(text("SELECT count(*) FROM customer WHERE id > :floor"), {"floor": floor}).scalar()
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "CustomerView")
    with app.test_request_context():
        g.user = _director(app)
        filters = view._filters.copy()
        filters.clear_filters()
        filters.add_filter("id", view.datamodel.FilterGreater, floor)

        def run():
            path = write_workbook(
                Layout.for_view(view), export_query(view, filters.get_joined_filters(view._base_filters))
            )
            size = os.path.getsize(path)
            os.unlink(path)
            return size

        size, seconds, peak = _peak(run)
        db.session.remove()
    return (f"export {rows:,} rows", seconds, peak, f"{size / 2**20:.1f} MB xlsx")


def import_(app):
    """Import 100,000 new customers as a director (preview, then commit); removed afterwards."""
    try:
        from app.spreadsheets.importers import IMPORTERS
        from app.spreadsheets.reader import read_table
        from app.spreadsheets.safety import check_upload
    except ImportError:
        return None
    from flask import g

    from app.extensions import db

    data = _customer_sheet(ROWS)
    with app.test_request_context():
        director = _director(app)
        g.user, g.crm_actor_id = director, director.id

        def run():
            table = read_table(check_upload("bench.xlsx", data), data)
            return IMPORTERS["customer"](director).run(table, dry_run=False).as_dict()

        result, seconds, peak = _peak(run)
        db.session.remove()
    with db.engine.begin() as conn:
        ids = f"SELECT id FROM customer WHERE name LIKE '{PREFIX}%'"
        conn.execute(text(f"DELETE FROM audit_log WHERE table_name = 'customer' AND record_id IN ({ids})"))
        conn.execute(text(f"DELETE FROM customer WHERE name LIKE '{PREFIX}%'"))
    note = f"{result.get('created', 0):,} created, {len(result.get('errors') or []):,} errors (removed afterwards)"
    return ("import 100,000 rows", seconds, peak, note)


PREFIX = "导入基准客户"


def _customer_sheet(n):
    """An .xlsx of n new customers with the Chinese column headers of the import template."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(["客户名称", "地区", "行业", "客户等级", "满意度", "信用度", "地址", "电话"])
    for i in range(n):
        sheet.append(
            [f"{PREFIX}{i:06d}有限公司", "华东", "制造业", "普通客户", 3, 3, "上海市某路", f"021-{70000000 + i}"]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
