"""Spreadsheets at scale (SPEC §3): exporting 100,000 customers streams — its memory stays
bounded whatever the row count. Part of the normal suite (`make test`), on SQLite and on
PostgreSQL (CRM_TEST_DATABASE_URL); no timing assertions, the bench measures time."""

import os
import tracemalloc
import zipfile

from flask import g
from sqlalchemy import String, case, cast, func, insert, literal, select

from app.extensions import db
from app.models import CrmUser, Customer
from app.spreadsheets.export import Layout, export_query, write_workbook
from app.spreadsheets.xlsx import QUOTED

ROWS = 100_000
PEAK_LIMIT_MB = 300


def insert_customers(count, manager_id, branch_id):
    """`count` customers in one INSERT … SELECT over a recursive counter (SQLite and
    PostgreSQL alike; no ORM objects, no audit rows). Every 1000th address is formula-like."""
    counter = select(literal(0).label("i")).cte("counter", recursive=True)
    counter = counter.union_all(select(counter.c.i + 1).where(counter.c.i < count - 1))
    i = counter.c.i
    number = cast(i + 100_000, String)  # 100000…: unique without zero padding
    columns = {
        "no": literal("KH-SCALE-") + number,
        "name": literal("规模测试客户") + number + literal("有限公司"),
        "name_norm": literal("规模测试客户") + number,
        "region": case((i % 3 == 0, "east"), (i % 3 == 1, "north"), else_="south"),
        "level": literal("normal"),
        "satisfaction": i % 5 + 1,
        "credit": (i // 5) % 5 + 1,
        "manager_id": literal(manager_id),
        "branch_id": literal(branch_id),
        "address": case((i % 1000 == 0, "=cmd|' /C calc'!A0"), else_=literal("上海市浦东新区世纪大道 ") + number),
        "phone": literal("021-5") + number,
        "phone_norm": literal("0215") + number,
        "registered_capital": i % 1000 + 100,
    }
    db.session.execute(insert(Customer).from_select(list(columns), select(*columns.values()).select_from(counter)))
    db.session.commit()


def test_export_of_100000_customers_streams_in_bounded_memory(app, users):
    with app.test_request_context():
        admin = db.session.get(CrmUser, users["admin"])
        g.user = admin
        insert_customers(ROWS, admin.id, admin.branch_id)
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar_one() == ROWS
        view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "CustomerView")
        filters = view._filters.get_joined_filters(view._base_filters)

        tracemalloc.start()
        try:
            path = write_workbook(Layout.for_view(view), export_query(view, filters))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        db.session.remove()

    try:
        assert peak < PEAK_LIMIT_MB * 1024 * 1024, f"peak {peak / 1024 / 1024:.0f} MB"
        with zipfile.ZipFile(path) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml")
        assert xml.count(b"</row>") == ROWS + 1  # the header and every customer
        assert b"<f>" not in xml  # never a formula: "=cmd|…" addresses are quote-prefixed text
        assert xml.count(f' s="{QUOTED}"'.encode()) == ROWS // 1000
    finally:
        os.unlink(path)
