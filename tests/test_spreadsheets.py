"""Spreadsheets (SPEC §3): export what the list shows, import with preview and
all-or-nothing commit, scope on both, hostile files refused with a clear message."""

import io
import json
import time
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Contact, Customer, Order, Product, Stock
from tests import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def xlsx(rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, resource, data, name="data.xlsx", dry_run=False):
    body = {"file": (io.BytesIO(data), name), "dry_run": "1" if dry_run else "0"}
    return client.post(f"/api/v1/{resource}/import", data=body, content_type="multipart/form-data")


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


CUSTOMER_HEAD = ["客户编号", "客户名称", "地区", "客户等级", "电话", "客户经理"]


# ---------------------------------------------------------------- export


def test_export_follows_list_filters_sort_and_scope(browser, ctx):
    factories.customer("am1", name="甲公司", region="east")
    factories.customer("am1", name="乙公司", region="north")
    factories.customer("am2", name="丙公司", region="east")
    rows = sheet(
        browser("director").get("/customerview/export/?_flt_0_region=east&_oc_CustomerView=name&_od_CustomerView=asc")
    )
    header, data = rows[0], rows[1:]
    assert "客户名称" in header and "地区" in header
    names = [r[header.index("客户名称")] for r in data]
    assert names == sorted(["甲公司", "丙公司"])
    assert {r[header.index("地区")] for r in data} == {"华东"}  # dictionary name, not the code
    own = sheet(browser("am1").get("/customerview/export/"))
    assert sorted(r[1] for r in own[1:]) == ["乙公司", "甲公司"]  # am2's customer is out of scope


def test_export_types_and_formula_escaping(api, ctx):
    cid = factories.customer("am1", name='=HYPERLINK("http://evil")', registered_capital=500)
    factories.order(cid, amount_lines=((2, 50),))
    rows = sheet(api("director").get("/api/v1/customer/export"))
    header = rows[0]
    assert rows[1][header.index("客户名称")] == '=HYPERLINK("http://evil")'
    assert rows[1][header.index("注册资金（万元）")] == 500
    resp = api("director").get("/api/v1/customer/export")
    with zipfile.ZipFile(io.BytesIO(resp.data)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")  # text, never a formula
    orders = sheet(api("director").get("/api/v1/order/export"))
    head = orders[0]
    assert orders[1][head.index("订单金额")] == 100
    assert orders[1][head.index("日期")].date() is not None


@pytest.mark.parametrize(
    "user,resource,status",
    [("am1", "customer", 200), ("agent", "customer", 403), ("exec", "order", 200), ("am1", "product", 403)],
)
def test_export_permission(api, user, resource, status):
    assert api(user).get(f"/api/v1/{resource}/export").status_code == status


def test_list_page_has_export_button(browser):
    assert "导出 Excel" in browser("am1").get("/customerview/list/").get_data(as_text=True)


# ---------------------------------------------------------------- import


def test_preview_lists_every_problem_then_nothing_written(api, ctx):
    data = xlsx(
        [
            CUSTOMER_HEAD,
            [None, "好公司", "华东", "普通客户", "021-12345678", None],
            [None, None, "火星", "普通客户", "abc", None],
            [None, "好公司", "华东", "普通客户", "021-12345678", None],
        ]
    )
    r = upload(api("am1"), "customer", data, dry_run=True)
    assert r.status_code == 200
    problems = {(e["row"], e["column"]) for e in r.json["errors"]}
    assert {(3, "客户名称"), (3, "地区"), (3, "电话"), (4, "客户名称")} <= problems
    assert all(e["message"] for e in r.json["errors"])
    r = upload(api("am1"), "customer", data)
    assert r.status_code == 400 and r.json["created"] == 0
    assert count(Customer) == 0


def test_import_creates_then_reimport_is_idempotent(api, users, ctx):
    data = xlsx([CUSTOMER_HEAD, [None, "新客户有限公司", "华东", "大客户", "13800138000", None]])
    r = upload(api("am1"), "customer", data)
    assert r.status_code == 200, r.json
    assert (r.json["created"], r.json["updated"]) == (1, 0)
    c = db.session.execute(select(Customer)).scalar_one()
    assert (c.manager_id, c.created_by_id, c.level, c.no.startswith("KH")) == (users["am1"], users["am1"], "key", True)
    assert (
        db.session.execute(select(AuditLog).where(AuditLog.table_name == "customer")).scalar_one().user_id
        == users["am1"]
    )
    r = upload(api("am1"), "customer", data)
    assert (r.json["created"], r.json["updated"], r.json["unchanged"]) == (0, 0, 1)
    assert count(Customer) == 1


def test_round_trip_export_import_changes_nothing(api, ctx):
    cid = factories.customer("am1", name="往返公司", phone="021-55556666", registered_capital=100)
    factories.contact(cid, name="李四", mobile="13900001111")
    pid = factories.product(name="椅子", model="B2")
    db.session.add(Stock(product_id=pid, warehouse="一号仓", location="A1", quantity=5))
    db.session.commit()
    factories.order(cid, amount_lines=((3, 20),), no="DD-1")
    client = api("admin")
    audits = count(AuditLog)
    for resource in ("customer", "contact", "product", "stock", "order"):
        exported = client.get(f"/api/v1/{resource}/export")
        r = upload(client, resource, exported.data)
        assert r.status_code == 200, (resource, r.json)
        assert (r.json["created"], r.json["updated"], r.json["errors"]) == (0, 0, []), resource
    assert count(AuditLog) == audits


def test_scope_on_import(api, ctx):
    other = factories.customer("am2", name="别人的客户", phone="010-1111222")
    no = db.session.get(Customer, other).no
    data = xlsx([CUSTOMER_HEAD, [no, "改名", None, None, None, None], [None, "我的", None, None, None, "测试am2"]])
    r = upload(api("am1"), "customer", data)
    assert r.status_code == 400
    assert {(e["row"], e["column"]) for e in r.json["errors"]} == {(2, "客户编号"), (3, "客户经理")}
    contact = xlsx([["客户编号", "联系人姓名"], [no, "王五"]])
    r = upload(api("am1"), "contact", contact)
    assert r.json["errors"][0]["message"] == "客户不存在或不在您的数据范围内"
    assert count(Contact) == 0


def test_all_or_nothing_10000_rows(api, ctx):
    rows = [CUSTOMER_HEAD] + [[None, f"批量客户{i}", "华东", None, f"0211{i:07d}", None] for i in range(10_000)]
    rows[5001][2] = "火星"
    rows[9001][1] = None
    r = upload(api("director"), "customer", xlsx(rows))
    assert r.status_code == 400
    assert [(e["row"], e["column"]) for e in r.json["errors"]] == [(5002, "地区"), (9002, "客户名称")]
    assert count(Customer) == 0


def test_orders_with_lines_and_products_and_stock(api, ctx):
    cid = factories.customer("am1", name="订货公司")
    no = db.session.get(Customer, cid).no
    client = api("admin")
    r = upload(client, "product", xlsx([["名称", "型号", "单价"], ["桌子", "T1", 300], ["桌子", "T2", "1,200.50"]]))
    assert r.json["created"] == 2, r.json
    r = upload(client, "stock", xlsx([["产品", "型号", "仓库", "数量"], ["桌子", "T1", "北仓", 7]]))
    assert r.json["created"] == 1, r.json
    head = ["订单编号", "客户编号", "日期", "订单状态", "产品", "型号", "数量"]
    data = xlsx(
        [head, ["X1", no, "2026-01-05", "已付款", "桌子", "T1", 2], ["X1", no, "2026-01-05", "已付款", "桌子", "T2", 1]]
    )
    r = upload(api("am1"), "order", data)
    assert r.json["created"] == 1, r.json
    order = db.session.execute(select(Order)).scalar_one()
    assert (order.status, float(order.amount), len(order.lines)) == ("paid", 1800.5, 2)
    assert count(Product) == 2


# ---------------------------------------------------------------- hostile files


def zip_bomb():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


def entity_workbook():
    data = io.BytesIO(xlsx([CUSTOMER_HEAD, [None, "x", None, None, None, None]]))
    out = io.BytesIO()
    with zipfile.ZipFile(data) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "xl/workbook.xml":
                body = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + body.split(b"?>", 1)[-1]
            dst.writestr(item, body)
    return out.getvalue()


def merged_workbook():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(CUSTOMER_HEAD)
    ws.append([None, "合并公司", "华东", None, None, None])
    ws.merge_cells("B2:C2")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def formula_workbook():
    wb = openpyxl.Workbook()
    wb.active.append(CUSTOMER_HEAD)
    wb.active.append([None, '=A1&"x"', None, None, None, None])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "name,data,status,fragment",
    [
        ("fake.xlsx", b"just some text, not a workbook", 400, "不是真正的 .xlsx"),
        ("fake.csv", xlsx([["a"]]), 400, "不是文本"),
        ("bomb.xlsx", zip_bomb(), 400, "zip"),
        ("empty.csv", b"", 400, "空"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 400, ".xlsx"),
    ],
)
def test_hostile_files_are_refused(api, ctx, name, data, status, fragment):
    r = upload(api("director"), "customer", data, name=name)
    assert r.status_code == status
    assert fragment in r.json["message"]
    assert count(Customer) == 0


def test_xml_entities_refused_and_defusedxml_active(api, ctx):
    assert openpyxl.xml.DEFUSEDXML is True
    r = upload(api("director"), "customer", entity_workbook())
    assert r.status_code == 400 and "实体" in r.json["message"]


def test_over_size_and_over_rows(api, app, ctx):
    app.config["IMPORT_MAX_BYTES"], app.config["IMPORT_MAX_ROWS"] = 2000, 3
    try:
        r = upload(api("director"), "customer", b"a" * 3000, name="big.csv")
        assert r.status_code == 413
        data = "客户名称\n" + "\n".join(f"公司{i}" for i in range(4))
        r = upload(api("director"), "customer", data.encode(), name="rows.csv")
        assert r.status_code == 413 and "3" in r.json["message"]
    finally:
        app.config["IMPORT_MAX_BYTES"], app.config["IMPORT_MAX_ROWS"] = 20 * 1024 * 1024, 200_000


def test_cells_that_cannot_be_trusted(api, ctx):
    r = upload(api("director"), "customer", merged_workbook(), dry_run=True)
    assert any("合并单元格" in e["message"] and e["row"] == 2 for e in r.json["errors"])
    r = upload(api("director"), "customer", formula_workbook(), dry_run=True)
    assert [(e["row"], e["column"]) for e in r.json["errors"]] == [(2, "客户名称")]
    assert "公式" in r.json["errors"][0]["message"]


def test_headers_missing_or_renamed(api, ctx):
    r = upload(api("director"), "customer", xlsx([["公司名", "地区"], ["x", "华东"]]), dry_run=True)
    columns = {(e["row"], e["column"]) for e in r.json["errors"]}
    assert (1, "公司名") in columns and (1, "客户名称") in columns


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_and_trailing_empty_rows(api, ctx, encoding):
    text = "客户名称,地区,电话\n华南贸易有限公司,华南,020-88886666\n,,\n\n"
    r = upload(api("director"), "customer", text.encode(encoding), name="c.csv")
    assert r.status_code == 200, r.json
    assert db.session.execute(select(Customer.name)).scalar_one() == "华南贸易有限公司"


def test_template_has_dropdowns(browser):
    r = browser("am1").get("/crm/import/customer/template")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    assert ws["B1"].value == "客户名称" and ws["B2"].value
    assert any("lists" in dv.formula1 for dv in ws.data_validations.dataValidation)


def test_import_page_preview_then_commit(browser, ctx):
    b = browser("am1")
    assert b.get("/crm/import/customer/").status_code == 200
    data = xlsx([CUSTOMER_HEAD, [None, "页面导入公司", "华东", None, None, None]])
    r = b.post(
        "/crm/import/customer/upload", data={"file": (io.BytesIO(data), "p.xlsx")}, content_type="multipart/form-data"
    )
    assert r.status_code == 302
    job_url = r.headers["Location"]
    page = _wait(b, job_url)
    assert "将新建 1" in page or "1" in page
    r = b.post(job_url + "/commit")
    assert r.status_code == 302
    page = _wait(b, job_url)
    assert count(Customer) == 1
    assert browser("am2").get(job_url).status_code == 404  # someone else's job


def _wait(client, url):
    for _ in range(100):
        status = client.get(url + "/status").json
        if status["state"] != "running":
            return client.get(url).get_data(as_text=True)
        time.sleep(0.1)
    raise AssertionError("import job did not finish")


# ---------------------------------------------------------------- duplicate check (SPEC §2)


@pytest.mark.parametrize(
    "name,phone,warned_column",
    [
        ("上海重名贸易有限公司", None, "客户名称"),  # same normalised name, different phone
        ("上海 重名贸易（有限公司）", "13900000000", "客户名称"),  # spaces, punctuation, legal form ignored
        ("全新名称公司", "+86 021-6666 7777", "电话"),  # same phone digits
        ("另一家公司", None, None),
    ],
)
def test_import_warns_about_possible_duplicates_and_still_creates(api, ctx, name, phone, warned_column):
    factories.customer("am1", name="上海重名贸易有限公司", phone="021-66667777")
    data = xlsx([CUSTOMER_HEAD, [None, name, None, None, phone, None]])
    preview = upload(api("director"), "customer", data, dry_run=True)
    assert preview.status_code == 200 and preview.json["errors"] == []
    warnings = preview.json["warnings"]
    if warned_column is None:
        assert warnings == []
    else:
        assert [(w["row"], w["column"]) for w in warnings] == [(2, warned_column)]
        assert "上海重名贸易有限公司" in warnings[0]["message"]
    r = upload(api("director"), "customer", data)
    assert r.status_code == 200 and r.json["created"] == 1 and r.json["warnings"] == warnings
    assert count(Customer) == 2


def test_short_phones_do_not_match(api, ctx):
    factories.customer("am1", name="短号公司", phone="666777")
    r = upload(api("am1"), "customer", xlsx([CUSTOMER_HEAD, [None, "另一个公司", None, None, "666777", None]]))
    assert (r.json["created"], r.json["warnings"]) == (1, [])  # under 7 digits: too short to match


def test_updates_are_not_duplicates(api, ctx):
    cid = factories.customer("am1", name="老客户", phone="021-66667777")
    no = db.session.get(Customer, cid).no
    data = xlsx([CUSTOMER_HEAD, [no, "老客户", None, None, "021-66667777", None]])
    r = upload(api("am1"), "customer", data)
    assert (r.json["created"], r.json["updated"] + r.json["unchanged"], r.json["warnings"]) == (0, 1, [])


def test_preview_page_links_duplicates_only_in_scope(browser, ctx):
    mine = factories.customer("am1", name="我的老客户")
    factories.customer("am2", name="别人的老客户")
    b = browser("am1")
    rows = [
        [None, "我的老客户", None, None, "021-11112222", None],
        [None, "别人的老客户", None, None, "021-33334444", None],
    ]
    data = xlsx([CUSTOMER_HEAD, *rows])  # other phones: new customers, not updates
    r = b.post(
        "/crm/import/customer/upload", data={"file": (io.BytesIO(data), "d.xlsx")}, content_type="multipart/form-data"
    )
    job_url = r.headers["Location"]
    page = _wait(b, job_url)
    assert "可能与已有客户重复" in page, page[page.find("crm-import-job") :][:1500]
    assert f'href="/customerview/show/{mine}"' in page
    assert "别人的老客户</a>" not in page and "别人的老客户（" in page  # named, not linked
    assert f'action="{job_url.split("localhost")[-1]}/commit"' in page  # a warning does not block the commit
    b.post(job_url + "/commit")
    _wait(b, job_url)
    assert count(Customer) == 4


# ---------------------------------------------------------------- the export writer


def test_export_cells_keep_their_types_and_text(api, ctx):
    tricky = ["a & b <c>", "  padded  ", "tab\tinside", "-5", "@user", "+86 21", "line\nbreak", "bell\x07gone"]
    for i, text in enumerate(tricky):
        factories.customer("am1", name=f"公司{i}", address=text, registered_capital=1234.5)
    rows = sheet(api("director").get("/api/v1/customer/export"))
    header = rows[0]
    addresses = {r[header.index("客户名称")]: r[header.index("地址")] for r in rows[1:]}
    expected = [t.replace("\x07", "") for t in tricky]
    assert [addresses[f"公司{i}"] for i in range(len(tricky))] == expected
    assert {r[header.index("注册资金（万元）")] for r in rows[1:]} == {1234.5}
    assert {r[header.index("状态")] for r in rows[1:]} == {"正常"}


def test_created_rows_and_their_audit_rows_match(api, ctx):
    factories.customer("am1", name="先有的客户")  # new ids do not start at 1
    names = [f"审计匹配公司{i}" for i in range(5)]
    r = upload(api("director"), "customer", xlsx([CUSTOMER_HEAD] + [[None, n, None, None, None, None] for n in names]))
    assert r.json["created"] == 5, r.json
    ids = dict(db.session.execute(select(Customer.name, Customer.id).where(Customer.name.in_(names))).all())
    audits = db.session.execute(
        select(AuditLog.record_id, AuditLog.customer_id, AuditLog.changes).where(
            AuditLog.table_name == "customer", AuditLog.action == "create", AuditLog.record_id.in_(ids.values())
        )
    ).all()
    assert sorted((a.record_id, a.customer_id) for a in audits) == sorted((pk, pk) for pk in ids.values())
    assert {json.loads(a.changes)["name"]: a.record_id for a in audits} == ids  # each audit row names its own record
