"""角色权限矩阵: admins change rights and data scope; users feel it on their next request."""

from app.extensions import db
from app.services import permissions as svc
from tests import factories


def _form(browser_client, role_name):
    """The matrix form as the page renders it for `role_name`: {field: value} of checked boxes."""
    import re

    sm = browser_client.app.appbuilder.sm
    role = sm.find_role(role_name)
    html = browser_client.get(f"/crm/permissions/?role={role.id}").get_data(as_text=True)
    fields = {}
    for tag in re.findall(r"<input[^>]+>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag and "checked" in tag:
            fields[name.group(1)] = "1"
        if 'type="radio"' in tag and "checked" in tag:
            fields[name.group(1)] = re.search(r'value="([^"]+)"', tag).group(1)
    return role.id, fields


class Admin:
    def __init__(self, app, browser):
        self.app = app
        self.b = browser("admin")
        self.app = app

    def get(self, url):
        return self.b.get(url)

    def save(self, role_name, change):
        role_id, fields = _form(self, role_name)
        change(fields)
        r = self.b.post(f"/crm/permissions/{role_id}/save", data=fields)
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        return r


def test_only_admin_reaches_the_matrix(browser):
    assert browser("admin").get("/crm/permissions/").status_code == 200
    for user in ("director", "am1", "agent", "exec"):
        assert browser(user).get("/crm/permissions/").status_code in (302, 403)


def test_matrix_lists_modules_and_rights_in_chinese_columns(app, browser, ctx):
    html = browser("admin").get("/crm/permissions/").get_data(as_text=True)
    assert 'name="Customer:delete"' in html
    assert 'name="scope:Customer"' in html
    layout = svc.matrix_layout(app.appbuilder)
    rows = {name for _m, rows in layout for name, _l, _c in rows}
    assert {"Customer", "Opportunity", "Service", "Product", "Dictionary"} <= rows


def test_untick_delete_on_customer_takes_effect_without_relogin(app, browser, api, ctx):
    cid = factories.customer("am1")
    am1 = browser("am1")
    assert am1.get(f"/customerview/show/{cid}").status_code == 200
    admin = Admin(app, browser)
    admin.save("AccountManager", lambda f: f.pop("Customer:delete", None))

    # same session, next request: no delete, neither screen nor API
    r = am1.post(f"/customerview/delete/{cid}")
    assert r.status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(factories.Customer, cid) is not None
    r = api("am1").delete(f"/api/v1/customer/{cid}")
    assert r.status_code in (401, 403)

    admin.save("AccountManager", lambda f: f.update({"Customer:delete": "1"}))
    r = am1.post(f"/customerview/delete/{cid}")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(factories.Customer, cid) is None


def test_scope_all_to_own_shrinks_lists_and_api(app, browser, api, ctx):
    mine = factories.customer("am1", name="我的客户")
    other = factories.customer("am2", name="别人的客户")
    director = browser("director")
    html = director.get("/customerview/list/").get_data(as_text=True)
    assert "我的客户" in html and "别人的客户" in html

    admin = Admin(app, browser)
    admin.save("SalesDirector", lambda f: f.update({"scope:Customer": "own"}))
    html = director.get("/customerview/list/").get_data(as_text=True)
    assert "我的客户" not in html and "别人的客户" not in html
    assert api("director").get(f"/api/v1/customer/{other}").status_code == 404

    admin.save("SalesDirector", lambda f: f.update({"scope:Customer": "all"}))
    assert api("director").get(f"/api/v1/customer/{mine}").status_code == 200


def test_preview_summarises_changes_before_saving(app, browser, ctx):
    admin = Admin(app, browser)
    role_id, fields = _form(admin, "Executive")
    fields["Customer:add"] = "1"
    html = admin.b.post(f"/crm/permissions/{role_id}/preview", data=fields).get_data(as_text=True)
    assert 'name="Customer:add"' in html  # carried to the save form
    sm = app.appbuilder.sm
    held = {(pv.permission.name, pv.view_menu.name) for pv in sm.find_role("Executive").permissions}
    assert ("can_add", "Customer") not in held  # nothing saved yet


def test_copy_rename_and_delete_roles(app, browser, ctx):
    admin = Admin(app, browser)
    sm = app.appbuilder.sm
    source = sm.find_role("AccountManager")
    r = admin.b.post(f"/crm/permissions/{source.id}/copy", data={"name": "华东客户经理"})
    assert r.status_code == 302
    copy = sm.find_role("华东客户经理")
    assert {pv.id for pv in copy.permissions} == {pv.id for pv in source.permissions}

    admin.b.post(f"/crm/permissions/{copy.id}/rename", data={"name": "华东客户经理2"})
    db.session.expire_all()
    assert sm.find_role("华东客户经理2") is not None

    # in use → refused
    user = factories.user("am2")
    user.roles.append(sm.find_role("华东客户经理2"))
    db.session.commit()
    admin.b.post(f"/crm/permissions/{copy.id}/delete")
    db.session.expire_all()
    assert sm.find_role("华东客户经理2") is not None
    user.roles = [r for r in user.roles if r.name != "华东客户经理2"]
    db.session.commit()
    admin.b.post(f"/crm/permissions/{copy.id}/delete")
    db.session.expire_all()
    assert sm.find_role("华东客户经理2") is None
    # the built-in roles are protected
    admin.b.post(f"/crm/permissions/{source.id}/delete")
    db.session.expire_all()
    assert sm.find_role("AccountManager") is not None


def test_changes_are_audited_and_defaults_restorable(app, browser, ctx):
    from app.models import AuditLog

    admin = Admin(app, browser)
    admin.save("ServiceAgent", lambda f: f.pop("Product:view", None))
    role = app.appbuilder.sm.find_role("ServiceAgent")
    entries = (
        db.session.execute(db.select(AuditLog).where(AuditLog.table_name == "ab_role", AuditLog.record_id == role.id))
        .scalars()
        .all()
    )
    assert entries and "can_list on Product" in entries[-1].changes

    r = admin.b.post("/crm/permissions/restore", data={"confirm": "yes"})
    assert r.status_code == 302
    db.session.expire_all()
    held = {(pv.permission.name, pv.view_menu.name) for pv in app.appbuilder.sm.find_role("ServiceAgent").permissions}
    assert ("can_list", "Product") in held


def _has_cjk(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_row_and_right_reads_in_both_languages(app, ctx):
    """Every label of the matrix built from the registered views is in both catalogs."""
    from flask_babel import force_locale

    layout = svc.matrix_layout(app.appbuilder)
    labels = [module for module, _rows in layout]
    for _module, rows in layout:
        for _name, label, cols in rows:
            labels.append(label)
            labels += [svc.column_label(key) for key in cols]
            labels += [svc.column_label(perm) for perms in cols.values() for perm in perms]
    labels += [label for _value, label in svc.SCOPE_CHOICES]
    with app.test_request_context():
        with force_locale("zh"):
            untranslated = sorted({str(label) for label in labels if not _has_cjk(str(label))})
        assert untranslated == []
        with force_locale("en"):
            assert not any(_has_cjk(str(label)) for label in labels)


def test_workflow_rights_and_pages_sit_under_their_modules(app, browser, ctx):
    layout = {name: (module, cols) for module, rows in svc.matrix_layout(app.appbuilder) for name, _l, cols in rows}
    expected = {
        "Opportunity": ("can_assign", "can_plan", "can_execute", "can_win", "can_fail", "can_board", "export"),
        "Service": ("can_assign", "can_handle", "can_feedback", "add", "export"),
        "Churn": ("can_defer", "can_confirm", "can_scan"),
        "Customer": ("import", "export", "can_transfer"),
        "Report": ("view",),
    }
    for name, keys in expected.items():
        assert set(keys) <= set(layout[name][1]), name
    # an @action's right and its page's right are one box
    assert set(layout["Customer"][1]["can_transfer"]) == {"can_transfer", "transfer"}
    # FAB's raw security screens stay with Admin (raw editor), self-service rights are not boxes
    assert not {"RoleModelView", "PermissionModelView", "ViewMenuModelView", "UserStatsChartView"} & set(layout)
    assert not any("userinfo" in key or "resetmypassword" in key for _m, cols in layout.values() for key in cols)

    html = browser("admin").get("/crm/permissions/").get_data(as_text=True)
    for module in ("基础数据", "客户管理", "营销管理", "服务管理", "统计报表", "权限管理"):
        assert module in html
    for page in ("客户开发计划", "销售漏斗看板", "服务分配", "服务处理", "服务反馈", "服务归档"):
        assert page in html, page
    for header in ("查看", "新增", "删除", "导出", "导入", "指派", "服务反馈", "流失扫描", "转移客户"):
        assert f"<th>{header}</th>" in html, header
    assert 'name="scope:Opportunity"' in html and 'name="scope:Service"' in html
    import re

    table = html[html.index("crm-matrix-table") :]
    headers = re.findall(r"<th>([^<]*)</th>", table)
    assert headers and all(_has_cjk(h) for h in headers), headers
    rows = re.findall(r'<tr class="crm-row"><td>([^<]*)<', table)
    assert rows and all(_has_cjk(r) for r in rows), rows


def test_a_new_view_appears_without_editing_the_matrix(ctx):
    from types import SimpleNamespace

    from flask_appbuilder import BaseView

    class QuoteView(BaseView):
        class_permission_name = "Quote"
        base_permissions = ["can_list", "can_show", "can_approve", "can_userinfo"]

    view = QuoteView()
    item = SimpleNamespace(baseview=view, label="报价单", name="Quotes")
    category = SimpleNamespace(childs=[item], label="营销管理", name="Sales")
    fake = SimpleNamespace(baseviews=[view], menu=SimpleNamespace(get_list=lambda: [category]))
    assert svc.matrix_layout(fake) == [
        ("营销管理", [("Quote", "报价单", {"view": ("can_list", "can_show"), "can_approve": ("can_approve",)})])
    ]


def test_preview_names_rows_and_rights_in_chinese(app, browser, ctx):
    admin = Admin(app, browser)
    role_id, fields = _form(admin, "Executive")
    fields["Customer:add"] = "1"
    fields["Customer:can_transfer"] = "1"
    fields.pop("Product:view")
    html = admin.b.post(f"/crm/permissions/{role_id}/preview", data=fields).get_data(as_text=True)
    assert "客户信息 – 新增" in html and "客户信息 – 转移客户" in html
    assert html.count("产品 – 查看") == 1  # one line for the box, not one per permission
    assert "can_" not in html.split("<form", 1)[0][-3000:]


def test_security_rows_are_locked_and_ignored_on_save(app, browser, ctx):
    """权限管理 rows show but cannot be ticked for other roles; a forged box changes nothing."""
    sm = app.appbuilder.sm
    role = sm.find_role("SalesDirector")
    b = browser("admin")
    html = b.get(f"/crm/permissions/?role={role.id}").get_data(as_text=True)
    assert "仅系统管理员" in html
    assert 'name="AuditLog:view" value="1"' in html and "disabled" in html.split('name="AuditLog:view"')[1][:200]
    before = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
    modules = svc.matrix_layout(app.appbuilder)
    held, scopes = svc.role_state(sm, role)
    added, removed, _ = svc.diff(modules, held, scopes, held | {("can_list", "AuditLog")}, scopes)
    assert ("can_list", "AuditLog") not in added
    db.session.expire_all()
    assert {(pv.permission.name, pv.view_menu.name) for pv in sm.find_role("SalesDirector").permissions} == before


def test_role_picker_names_roles_in_chinese_too(browser):
    html = browser("admin").get("/crm/permissions/").get_data(as_text=True)
    for text in (
        "AccountManager（客户经理）",
        "SalesDirector（销售主管）",
        "ServiceAgent（客服人员）",
        "Executive（高管）",
    ):
        assert text in html
