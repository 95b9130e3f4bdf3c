"""用户管理: one-time passwords, deactivation, last-admin protection, branch moves, audit."""

import pytest

from app.extensions import db
from app.models import AuditLog, Branch
from app.security import ADMIN_ONLY, SELF_SERVICE
from tests import factories
from tests.conftest import PASSWORD


def _new_user(app, username, role="AccountManager", must_change=True):
    sm = app.appbuilder.sm
    user = sm.add_user(username, username, "新", f"{username}@example.com", sm.find_role(role), PASSWORD)
    user.must_change_password = must_change
    db.session.commit()
    return user


def test_one_time_password_must_be_changed_first(app, browser, ctx):
    _new_user(app, "onetime1")
    b = browser("onetime1")
    r = b.get("/customerview/list/")
    assert r.status_code == 302 and "/resetmypassword/" in r.headers["Location"]
    r = b.post(
        "/resetmypassword/form", data={"password": "Brand-New-Secret-77", "conf_password": "Brand-New-Secret-77"}
    )
    assert r.status_code == 302
    assert b.get("/customerview/list/").status_code == 200
    db.session.expire_all()
    assert factories.user("onetime1").must_change_password is False


def test_policy_refuses_weak_new_password(app, browser, ctx):
    _new_user(app, "onetime2")
    b = browser("onetime2")
    r = b.post("/resetmypassword/form", data={"password": "password123", "conf_password": "password123"})
    assert r.status_code == 200  # form shown again with the error
    db.session.expire_all()
    assert factories.user("onetime2").must_change_password is True


def test_deactivated_user_loses_session_and_token(app, browser, api, ctx):
    user = _new_user(app, "leaver1", must_change=False)
    b = browser("leaver1")
    token = api("leaver1")
    assert b.get("/customerview/list/").status_code == 200
    assert token.get("/api/v1/customer/").status_code == 200
    user.active = False
    db.session.commit()
    r = b.get("/customerview/list/")
    assert r.status_code in (302, 401, 403)
    assert token.get("/api/v1/customer/").status_code in (401, 403, 422)


def test_admin_cannot_deactivate_self_or_remove_last_admin(app, browser, ctx):
    admin = factories.user("admin")
    b = browser("admin")
    form = {
        "username": "admin",
        "first_name": admin.first_name,
        "last_name": admin.last_name,
        "email": admin.email,
        "roles": [str(r.id) for r in admin.roles],
    }  # "active" unticked
    b.post(f"/users/edit/{admin.id}", data=form)
    db.session.expire_all()
    assert factories.user("admin").active is True
    r = b.post(f"/users/delete/{admin.id}")
    db.session.expire_all()
    assert factories.user("admin") is not None and r.status_code == 302


def test_bulk_move_users_between_branches_writes_audit(app, browser, ctx):
    bj = db.session.execute(db.select(Branch).where(Branch.code == "BJ")).scalar_one()
    u1 = _new_user(app, "mover1", must_change=False)
    u2 = _new_user(app, "mover2", must_change=False)
    b = browser("admin")
    r = b.post("/users/move-branch", data={"ids": f"{u1.id},{u2.id}", "branch_id": bj.id})
    assert r.status_code == 302
    db.session.expire_all()
    assert factories.user("mover1").branch_id == bj.id and factories.user("mover2").branch_id == bj.id
    moved = (
        db.session.execute(
            db.select(AuditLog).where(AuditLog.table_name == "ab_user", AuditLog.record_id.in_([u1.id, u2.id]))
        )
        .scalars()
        .all()
    )
    assert len(moved) == 2


def test_admin_reset_gives_one_time_password(app, browser, ctx):
    user = _new_user(app, "forgot1", must_change=False)
    # admin resets through FAB's reset form
    b = browser("admin")
    r = b.post(
        f"/resetpassword/form?pk={user.id}", data={"password": "Temp-Pass-2026-x", "conf_password": "Temp-Pass-2026-x"}
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert factories.user("forgot1").must_change_password is True


def test_user_list_shows_branch_and_phone_and_only_admin_reaches_it(app, browser, ctx):
    user = factories.user("am1")
    user.phone = "13800138000"
    db.session.commit()
    html = browser("admin").get("/users/list/").get_data(as_text=True)
    assert "13800138000" in html and "上海分公司" in html
    for name in ("director", "am1", "agent", "exec"):
        assert browser(name).get("/users/list/").status_code in (302, 403)


@pytest.mark.parametrize("url", ["/users/list/", "/crm/permissions/", "/auditlogview/list/", "/roles/list/"])
def test_security_screens_stay_admin_only_even_if_a_role_is_given_the_right(app, browser, ctx, url):
    """A right ticked in FAB's raw role editor does not open 权限管理 to other roles."""
    sm = app.appbuilder.sm
    role = sm.find_role("SalesDirector")
    granted = [pv for pv in sm.session.query(sm.permissionview_model).all() if pv.view_menu.name in ADMIN_ONLY]
    role.permissions.extend(pv for pv in granted if pv not in role.permissions)
    sm.session.commit()
    try:
        assert browser("director").get(url).status_code in (302, 403)
        assert browser("admin").get(url).status_code == 200
        assert browser("director").get("/users/userinfo/").status_code == 200  # own profile still works
    finally:
        role.permissions = [pv for pv in role.permissions if pv.view_menu.name not in ADMIN_ONLY or pv in _self(sm)]
        sm.session.commit()


def _self(sm):
    return [pv for pv in sm.session.query(sm.permissionview_model).all() if pv.permission.name in SELF_SERVICE]
