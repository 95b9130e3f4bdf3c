"""客户管理: the 360° page, quick adds from it, the duplicate check, the bulk transfer."""

import datetime as dt
import re

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import Activity, AuditLog, Churn, Contact, Customer
from app.services.customers import find_duplicates
from tests import factories

# ---------------------------------------------------------------- lists by scope


@pytest.mark.parametrize("username, sees", [("am1", {"am1"}), ("am2", {"am2"}), ("director", {"am1", "am2"})])
def test_customer_list_follows_scope(browser, ctx, username, sees):
    names = {
        "am1": factories.customer("am1", name="甲方一号公司"),
        "am2": factories.customer("am2", name="乙方二号公司"),
    }
    page = browser(username).get("/customerview/list/").get_data(as_text=True)
    shown = {owner for owner, cid in names.items() if db.session.get(Customer, cid).name in page}
    assert shown == sees


# ---------------------------------------------------------------- 360° page


def _rich_customer():
    """am1's customer with something in every tab; am2 has a look-alike elsewhere."""
    cid = factories.customer("am1", name="华东精密机械有限公司", credit=4, satisfaction=2)
    factories.contact(cid, name="王经理", is_primary=True)
    factories.contact(cid, name="李工")
    for day in (1, 2, 3):
        db.session.add(Activity(customer_id=cid, date=dt.date(2026, 10, day), title=f"拜访{day}", type="visit"))
    db.session.commit()
    factories.order(cid, amount_lines=((2, 50),), date=dt.date(2026, 9, 1))  # 100
    factories.order(cid, amount_lines=((1, 250),), date=dt.date(2026, 10, 8))  # 250
    factories.order(cid, amount_lines=((1, 999),), date=dt.date(2026, 11, 1), status="cancelled")
    factories.opportunity("am1", customer_id=cid, title="二期扩产")
    factories.service(cid, "agent", title="咨询保修期限")
    factories.churn(cid, status="recovered")
    other = factories.customer("am2", name="北方重工有限公司")
    factories.contact(other, name="赵总")
    factories.order(other, amount_lines=((1, 7777),))
    return cid, other


def _page_with_tabs(client, cid, url=None):
    """The 360° page plus every tab it fetches when opened (customer360.js)."""
    page = client.get(url or f"/customerview/show/{cid}").get_data(as_text=True)
    tabs = re.findall(r'data-crm-tab-url="([^"]+)"', page)
    return page + "".join(client.get(tab).get_data(as_text=True) for tab in tabs)


def test_360_page_shows_counts_totals_and_tabs(browser, ctx):
    cid, _ = _rich_customer()
    page = _page_with_tabs(browser("am1"), cid)
    assert "华东精密机械有限公司" in page
    assert "★★★★☆" in page and "★★☆☆☆" in page  # credit 4, satisfaction 2
    counts = {
        "contacts": 2,
        "activities": 3,
        "orders": 3,
        "opportunities": 1,
        "services": 1,
        "churns": 1,
    }
    for tab, n in counts.items():
        assert f'id="count-{tab}">{n}<' in page, tab
    assert 'id="order-total">350.00<' in page  # cancelled orders are not revenue
    assert 'id="last-order-date">2026-10-08<' in page
    for text in ("王经理", "李工", "拜访3", "二期扩产", "咨询保修期限", "已恢复", 'id="tab-audit"'):
        assert text in page
    # nothing of the other manager's customer
    assert "赵总" not in page and "7,777.00" not in page


@pytest.mark.parametrize("username, status", [("am1", 200), ("director", 200), ("exec", 200), ("am2", 404)])
def test_360_page_honours_scope(browser, ctx, username, status):
    cid, _ = _rich_customer()
    assert browser(username).get(f"/customerview/show/{cid}").status_code == status


def test_360_tabs_follow_rights(browser, ctx):
    cid, _ = _rich_customer()
    page = browser("agent").get(f"/customerview/show/{cid}").get_data(as_text=True)
    assert 'id="tab-contacts"' in page and 'id="tab-services"' in page
    assert 'id="tab-orders"' not in page and 'id="add-contact"' not in page  # agents read contacts only


def test_360_audit_timeline_lists_the_customers_history(browser, ctx):
    cid, _ = _rich_customer()
    page = browser("director").get(f"/customerview/show/{cid}?tab=audit").get_data(as_text=True)
    expected = db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.customer_id == cid))
    assert expected >= 8
    assert f'id="count-audit">{expected}<' in page


def _statements(app, call):
    seen = []

    def count(*args):
        seen.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_360_page_needs_few_queries_whatever_the_rows(app, browser, ctx):
    cid, _ = _rich_customer()
    b = browser("am1")
    b.get(f"/customerview/show/{cid}")  # warm caches (dictionaries, rights)
    few = _statements(app, lambda: b.get(f"/customerview/show/{cid}"))
    for i in range(15):
        factories.contact(cid, name=f"联系人甲{i}")
        factories.order(cid, date=dt.date(2026, 8, 1))
        db.session.add(
            Activity(customer_id=cid, date=dt.date(2026, 7, 1), title=f"回访{i}", user_id=factories.user("am1").id)
        )
        factories.service(cid, "agent")
    db.session.commit()
    many = _statements(app, lambda: b.get(f"/customerview/show/{cid}"))
    assert many == few  # no statement per row
    assert few <= 25


# ---------------------------------------------------------------- quick adds


def test_add_contact_and_activity_from_the_360_page(browser, ctx, users):
    cid, _ = _rich_customer()
    b = browser("am1")
    r = b.post(f"/contactview/add-for/{cid}", data={"name": "周秘书", "mobile": "13900001111", "is_primary": "y"})
    assert r.status_code == 302 and f"/customerview/show/{cid}?tab=contacts" in r.location
    contact = db.session.execute(select(Contact).where(Contact.name == "周秘书")).scalar_one()
    assert contact.customer_id == cid and contact.is_primary
    r = b.post(
        f"/activityview/add-for/{cid}",
        data={"date": "2026-11-20", "type": "phone", "title": "电话回访", "description": "确认交期"},
    )
    assert "tab=activities" in r.location
    activity = db.session.execute(select(Activity).where(Activity.title == "电话回访")).scalar_one()
    assert (activity.customer_id, activity.user_id, activity.date) == (cid, users["am1"], dt.date(2026, 11, 20))
    page = _page_with_tabs(b, cid, r.location)
    assert "电话回访" in page and "周秘书" in page


@pytest.mark.parametrize(
    "url, data, message",
    [
        ("/contactview/add-for/{cid}", {"name": " "}, "请填写联系人姓名"),
        ("/contactview/add-for/{cid}", {"name": "周", "email": "not-an-email"}, "电子邮箱"),
        ("/activityview/add-for/{cid}", {"date": "2026-13-01", "title": "x"}, "有效日期"),
        ("/activityview/add-for/{cid}", {"date": "2026-11-01", "title": ""}, "请填写标题"),
    ],
)
def test_quick_add_refuses_bad_input(browser, ctx, url, data, message):
    cid, _ = _rich_customer()
    b = browser("am1")
    before = (
        db.session.scalar(select(func.count()).select_from(Contact)),
        db.session.scalar(select(func.count()).select_from(Activity)),
    )
    r = b.post(url.format(cid=cid), data=data, headers={"Referer": f"http://localhost/customerview/show/{cid}"})
    assert r.status_code == 302
    assert message in b.get(r.location).get_data(as_text=True)
    after = (
        db.session.scalar(select(func.count()).select_from(Contact)),
        db.session.scalar(select(func.count()).select_from(Activity)),
    )
    assert after == before


def test_quick_add_out_of_scope_is_404(browser, ctx):
    _, other = _rich_customer()
    b = browser("am1")
    assert b.post(f"/contactview/add-for/{other}", data={"name": "间谍"}).status_code == 404
    assert b.post(f"/activityview/add-for/{other}", data={"date": "2026-11-01", "title": "x"}).status_code == 404
    assert db.session.execute(select(Contact).where(Contact.name == "间谍")).first() is None


def test_quick_add_needs_the_add_right(browser, ctx):
    cid, _ = _rich_customer()
    browser("agent").post(f"/contactview/add-for/{cid}", data={"name": "无权限"})
    assert db.session.execute(select(Contact).where(Contact.name == "无权限")).first() is None


# ---------------------------------------------------------------- duplicate check


@pytest.mark.parametrize(
    "existing, new",
    [
        ({"name": "上海华东科技有限公司"}, {"name": "上海华东科技股份有限公司"}),
        ({"name": "上海华东科技有限公司"}, {"name": "上海华东科技"}),
        ({"name": "上海华东科技有限公司"}, {"name": " 上海 华东科技 有限公司 "}),
        ({"name": "ABC电子有限公司"}, {"name": "ＡＢＣ电子有限公司"}),  # full-width letters
        ({"name": "abc电子有限责任公司"}, {"name": "ABC 电子"}),
        ({"name": "甲公司", "phone": "021-6888 1234"}, {"name": "乙公司", "phone": "02168881234"}),
        ({"name": "甲公司", "phone": "13800138000"}, {"name": "乙公司", "phone": "+86 138-0013-8000"}),
    ],
)
def test_duplicates_found_on_name_variants_and_phone(ctx, existing, new):
    cid = factories.customer("am2", **existing)
    assert [c.id for c in find_duplicates(new["name"], new.get("phone"))] == [cid]


@pytest.mark.parametrize(
    "existing, new",
    [
        ({"name": "上海华东科技有限公司"}, {"name": "上海华东电子有限公司"}),
        ({"name": "甲公司", "phone": "8001"}, {"name": "乙公司", "phone": "8001"}),  # too short to tell
    ],
)
def test_different_customers_are_no_duplicates(ctx, existing, new):
    factories.customer("am2", **existing)
    assert find_duplicates(new["name"], new.get("phone")) == []


def _add_form(name, phone="", **extra):
    return {"name": name, "phone": phone, "satisfaction": "3", "credit": "3", **extra}


def test_add_form_warns_and_links_then_saves_on_purpose(browser, ctx):
    cid = factories.customer("am1", name="上海华东科技有限公司")
    b = browser("am1")
    r = b.post("/customerview/add", data=_add_form("上海华东科技股份有限公司"))
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="customer-duplicates"' in page
    assert f'href="/customerview/show/{cid}"' in page
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
    r = b.post("/customerview/add", data=_add_form("上海华东科技股份有限公司", confirm_duplicate="y"))
    assert r.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 2


def test_add_form_names_but_does_not_link_a_duplicate_out_of_scope(browser, ctx):
    cid = factories.customer("am2", name="北京燕山石化有限公司", phone="010-88886666")
    page = browser("am1").post("/customerview/add", data=_add_form("新客户", "01088886666")).get_data(as_text=True)
    assert "北京燕山石化有限公司" in page
    assert f"/customerview/show/{cid}" not in page


def test_add_form_without_duplicate_saves_at_once(browser, ctx, users):
    r = browser("am1").post("/customerview/add", data=_add_form("全新客户有限公司"))
    assert r.status_code == 302
    customer = db.session.execute(select(Customer)).scalar_one()
    assert customer.manager_id == users["am1"]


def test_api_refuses_duplicate_unless_confirmed(api, ctx):
    cid = factories.customer("am1", name="上海华东科技有限公司", phone="13800138000")
    no = db.session.get(Customer, cid).no
    client = api("am1")
    r = client.post("/api/v1/customer/", json={"no": "API-1", "name": "上海华东科技股份有限公司"})
    assert r.status_code == 409 and r.json["field"] == "name" and no in r.json["message"]
    r = client.post("/api/v1/customer/", json={"no": "API-2", "name": "另一家公司", "phone": "+86 13800138000"})
    assert r.status_code == 409 and r.json["field"] == "phone"
    r = client.post("/api/v1/customer/?confirm_duplicate=1", json={"no": "API-3", "name": "上海华东科技股份有限公司"})
    assert r.status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 2


# ---------------------------------------------------------------- bulk transfer


def _book_of_am1():
    ids = [factories.customer("am1") for _ in range(3)]
    factories.contact(ids[0], name="移交联系人")
    factories.order(ids[1])
    ticket = factories.service(ids[2], "agent", title="移交工单")
    record = factories.churn(ids[0])
    kept = factories.customer("director")
    return ids, ticket, record, kept


def test_transfer_moves_all_customers_with_one_audit_entry_each(browser, api, ctx, users):
    ids, ticket, record, kept = _book_of_am1()
    r = browser("admin").post(
        "/customerview/transfer", data={"from_manager_id": users["am1"], "to_manager_id": users["am2"]}
    )
    assert r.status_code == 302
    db.session.expire_all()
    moved = db.session.execute(select(Customer).where(Customer.id.in_(ids))).scalars().all()
    am2 = factories.user("am2")
    assert {(c.manager_id, c.branch_id) for c in moved} == {(am2.id, am2.branch_id)}
    assert db.session.get(Customer, kept).manager_id == users["director"]
    entries = db.session.execute(select(AuditLog).where(AuditLog.transition == "transfer")).scalars().all()
    assert sorted(e.customer_id for e in entries) == sorted(ids)
    assert all(f'"manager_id": [{users["am1"]}, {users["am2"]}]' in e.changes for e in entries)
    assert db.session.get(Churn, record).manager_id == users["am2"]  # open churn follows

    new, old = api("am2"), api("am1")
    assert sorted(row["id"] for row in new.get("/api/v1/customer/").json["result"]) == sorted(ids)
    assert [row["name"] for row in new.get("/api/v1/contact/").json["result"]] == ["移交联系人"]
    assert len(new.get("/api/v1/order/").json["result"]) == 1
    assert [row["title"] for row in new.get("/api/v1/service/").json["result"]] == ["移交工单"]
    assert old.get("/api/v1/customer/").json["result"] == []
    assert old.get("/api/v1/contact/").json["result"] == []
    assert old.get("/api/v1/order/").json["result"] == []
    assert old.get(f"/api/v1/service/{ticket}").status_code == 404
    assert browser("am1").get(f"/customerview/show/{ids[0]}").status_code == 404
    assert browser("am2").get(f"/customerview/show/{ids[0]}").status_code == 200


def test_transfer_only_the_selected_customers(browser, ctx, users):
    ids, *_ = _book_of_am1()
    b = browser("admin")
    page = b.get(f"/customerview/transfer?ids={ids[0]},{ids[1]}").get_data(as_text=True)
    assert 'id="customer-transfer"' in page
    b.post("/customerview/transfer", data={"ids": f"{ids[0]},{ids[1]}", "to_manager_id": users["am2"]})
    db.session.expire_all()
    assert [db.session.get(Customer, i).manager_id for i in ids] == [users["am2"], users["am2"], users["am1"]]


@pytest.mark.parametrize("username", ["director", "am1", "exec"])
def test_only_admins_transfer(browser, ctx, users, username):
    ids, *_ = _book_of_am1()
    browser(username).post(
        "/customerview/transfer", data={"from_manager_id": users["am1"], "to_manager_id": users["am2"]}
    )
    db.session.expire_all()
    assert {db.session.get(Customer, i).manager_id for i in ids} == {users["am1"]}


@pytest.mark.parametrize(
    "data, message",
    [({"to_manager_id": ""}, "请选择新的客户经理"), ({}, "请选择原客户经理"), ({"same": True}, "不能与原客户经理相同")],
)
def test_transfer_refuses_bad_input(browser, ctx, users, data, message):
    _book_of_am1()
    form = {"from_manager_id": users["am1"], "to_manager_id": users["am2"]}
    if "to_manager_id" in data:
        form["to_manager_id"] = data["to_manager_id"]
    elif "same" in data:
        form["to_manager_id"] = users["am1"]
    else:
        form.pop("from_manager_id")
    b = browser("admin")
    r = b.post("/customerview/transfer", data=form, headers={"Referer": "http://localhost/customerview/transfer"})
    assert message in b.get(r.location).get_data(as_text=True)
    assert db.session.execute(select(AuditLog).where(AuditLog.transition == "transfer")).first() is None


@pytest.mark.parametrize("username, shown", [("admin", True), ("director", False), ("am1", False)])
def test_transfer_link_on_the_list_for_admins(browser, ctx, username, shown):
    page = browser(username).get("/customerview/list/").get_data(as_text=True)
    assert ('id="customer-transfer-link"' in page) is shown
