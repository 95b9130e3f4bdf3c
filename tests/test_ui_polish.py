"""UI polish found by a crawl in Chinese: 是/否 and blanks instead of True/False/None,
readable audit entries, Chinese headers on FAB's security screens, no internet chart,
an audit entry for a new user, a quiet `crm init`, a translated "No row selected"."""

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Branch, Customer
from tests import factories as f


def cells(html):
    """The text of every table cell and header of a page."""
    return [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)]


# ---------------------------------------------------------------- 1. booleans and empty values


def test_booleans_read_yes_no_and_empty_values_blank(browser, ctx):
    cid = f.customer("am1", name="布尔显示有限公司")
    primary = f.contact(cid, name="王主要", is_primary=True, email=None)
    f.contact(cid, name="李次要", is_primary=False)
    b = browser("am1")
    listing = b.get("/contactview/list/").get_data(as_text=True)
    shown = b.get(f"/contactview/show/{primary}").get_data(as_text=True)
    for html in (listing, shown):
        texts = cells(html)
        assert "是" in texts
        assert not {"True", "False", "None"} & set(texts), texts
    assert "否" in cells(listing)


def test_user_list_shows_active_as_yes(browser, ctx):
    texts = cells(browser("admin").get("/users/list/").get_data(as_text=True))
    assert "是" in texts and "True" not in texts and "None" not in texts


# ---------------------------------------------------------------- 2. audit entries as users read them


def test_audit_screen_names_module_action_field_and_dictionary_value(browser, ctx):
    cid = f.customer("am1", name="审计可读有限公司", region="east")
    customer = db.session.get(Customer, cid)
    customer.region = "north"
    db.session.commit()
    entry = db.session.execute(
        select(AuditLog).where(AuditLog.table_name == "customer", AuditLog.action == "update")
    ).scalar_one()
    b = browser("admin")
    listing = cells(b.get("/auditlogview/list/").get_data(as_text=True))
    assert "客户" in listing and "修改" in listing and "新增" in listing
    assert not {"customer", "update", "create"} & set(listing)
    shown = b.get(f"/auditlogview/show/{entry.id}").get_data(as_text=True)
    assert "地区: 华东 → 华北" in shown
    assert "region" not in shown and "east" not in shown


def test_customer_timeline_uses_the_same_names(browser, ctx):
    cid = f.customer("am1", name="时间线有限公司", region="east")
    customer = db.session.get(Customer, cid)
    customer.region = "south"
    db.session.commit()
    r = browser("admin").post(f"/customerview/transfer?ids={cid}", data={"to_manager_id": f.user("am2").id})
    assert r.status_code == 302
    html = browser("director").get(f"/customerview/show/{cid}?tab=audit").get_data(as_text=True)
    timeline = html[html.index('id="tab-audit"') :]
    assert "地区" in timeline and "华东 → 华南" in timeline
    assert "移交" in timeline  # the transfer step
    sh, bj = (db.session.execute(select(Branch).where(Branch.code == c)).scalar_one() for c in ("SH", "BJ"))
    assert f"{sh} → {bj}" in timeline  # branch ids as branch names
    for raw in ("region", "branch_id", "manager_id", ">transfer<", "east"):
        assert raw not in timeline, raw


# ---------------------------------------------------------------- 3. FAB's security screens in Chinese


@pytest.mark.parametrize(
    "url, header",
    [
        ("/roles/list/", "名称"),
        ("/groups/list/", "标签"),
        ("/permissions/list/", "名称"),
        ("/viewmenus/list/", "名称"),
        ("/permissionviews/list/", "视图/菜单"),
    ],
)
def test_security_screens_have_chinese_headers(app, browser, ctx, url, header):
    sm = app.appbuilder.sm
    if sm.find_group("sales-east") is None:  # the group list shows headers only with a row
        sm.add_group("sales-east", "华东销售", "", roles=[sm.find_role("AccountManager")])
    r = browser("admin").get(url)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert header in cells(html)
    for english in ("Name", "Label", "Users", "Groups", "Roles", "Permission", "View Menu"):
        assert f">{english}<" not in html, english
        assert f'"{english}"' not in html, english  # search filter names


# ---------------------------------------------------------------- 4. no Google Charts


def test_user_statistics_chart_is_not_registered(browser, ctx):
    b = browser("admin")
    assert b.get("/userstatschartview/chart/").status_code == 404
    home = b.get("/users/list/").get_data(as_text=True)
    assert "userstatschartview" not in home.lower() and "User's Statistics" not in home


# ---------------------------------------------------------------- 5. audit of a new user


def test_creating_a_user_writes_an_audit_entry(browser, ctx):
    sh = db.session.execute(select(Branch).where(Branch.code == "SH")).scalar_one()
    role = f.user("am1").roles[0]
    form = {
        "username": "newbie1",
        "last_name": "新",
        "first_name": "人",
        "branch": sh.id,
        "email": "newbie1@example.com",
        "active": "y",
        "roles": role.id,
        "password": "Quite-Long-Secret-42",
        "conf_password": "Quite-Long-Secret-42",
        "must_change_password": "y",
    }
    r = browser("admin").post("/users/add", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    created = f.user("newbie1")
    [entry] = (
        db.session.execute(select(AuditLog).where(AuditLog.table_name == "ab_user", AuditLog.record_id == created.id))
        .scalars()
        .all()
    )
    assert entry.action == "create" and entry.user_id == f.user("admin").id
    assert "newbie1" in entry.changes and "AccountManager" in entry.changes and str(sh.id) in entry.changes
    shown = browser("admin").get(f"/auditlogview/show/{entry.id}").get_data(as_text=True)
    assert "用户名: newbie1" in shown and f"分公司: {sh}" in shown


# ---------------------------------------------------------------- 6. a quiet crm init


def test_crm_init_logs_no_refused_deletes(app, ctx, caplog):
    with caplog.at_level(logging.WARNING):
        result = app.test_cli_runner().invoke(args=["crm", "init"])
    assert result.exit_code == 0, result.output
    assert not [r for r in caplog.records if "Refused to delete" in r.getMessage()]
    sm = app.appbuilder.sm
    # the archive screens share 销售机会's view-menu; its workflow rights survive the sync
    assert sm.find_permission_view_menu("can_assign", "Opportunity") is not None
    assert "can_assign" in {pv.permission.name for pv in sm.find_role("SalesDirector").permissions}


# ---------------------------------------------------------------- 7. FAB's list alert in Chinese


def test_no_row_selected_alert_is_translated(browser, ctx):
    html = browser("admin").get("/customerview/list/").get_data(as_text=True)
    assert 'data-no-row-selected="未选择任何记录"' in html
    script = (Path(__file__).parents[1] / "app/static/crm/i18n.js").read_text()
    assert "No row selected" in script and "noRowSelected" in script
