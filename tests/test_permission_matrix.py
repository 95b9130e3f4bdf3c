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
