"""`crm init` (SPEC §4): migrates an empty database to head, creates the five roles with their
rights, the dictionaries, the HQ branch and `admin` (password printed once). Running it
again changes nothing and fails nothing — and keeps what admins changed meanwhile. Runs on
SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL."""

import re

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import Branch, Dictionary
from app.services.roles import ROLE_NAMES
from tests.conftest import TEST_DB_URL


def snapshot(app):
    """Everything `crm init` writes, in comparable form."""
    sm = app.appbuilder.sm
    db.session.expire_all()
    return {
        "roles": {r.name: sorted(pv.id for pv in r.permissions) for r in sm.get_all_roles()},
        "permissions": db.session.execute(text("SELECT count(*) FROM ab_permission_view")).scalar_one(),
        "users": sorted((u.username, u.password) for u in sm.get_all_users()),
        "dictionary": sorted(db.session.execute(select(Dictionary.type, Dictionary.value, Dictionary.name)).all()),
        "branches": sorted(db.session.execute(select(Branch.code, Branch.name)).all()),
        "migrations": sorted(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()),
    }


def init(app):
    result = app.test_cli_runner().invoke(args=["crm", "init"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_init_again_changes_nothing(app, ctx):
    before = snapshot(app)
    assert set(ROLE_NAMES) <= set(before["roles"])
    assert ("HQ", "总部") in before["branches"]
    assert {("customer_level", "strategic", "战略合作伙伴"), ("service_type", "complaint", "投诉")} <= set(
        before["dictionary"]
    )
    output = init(app) + init(app)
    assert "password:" not in output and "密码 / password" not in output  # the admin exists: nothing printed
    assert snapshot(app) == before


def test_init_keeps_what_admins_changed(app, ctx):
    sm = app.appbuilder.sm
    role = sm.find_role("AccountManager")
    removed = sm.find_permission_view_menu("can_delete", "Customer")
    role.permissions = [pv for pv in role.permissions if pv.id != removed.id]
    item = db.session.execute(
        select(Dictionary).where(Dictionary.type == "region", Dictionary.value == "east")
    ).scalar_one()
    item.name = "华东地区"
    db.session.commit()
    try:
        init(app)
        db.session.expire_all()
        assert removed.id not in {pv.id for pv in sm.find_role("AccountManager").permissions}
        assert db.session.get(Dictionary, item.id).name == "华东地区"
    finally:
        sm.find_role("AccountManager").permissions.append(sm.find_permission_view_menu("can_delete", "Customer"))
        db.session.get(Dictionary, item.id).name = "华东"
        db.session.commit()


@pytest.mark.skipif(TEST_DB_URL is not None, reason="the session fixture migrates the empty PostgreSQL schema")
def test_init_on_an_empty_sqlite_database_twice(tmp_path):
    from app import create_app

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/fresh.db", "ADMIN_PASSWORD": None})
    with fresh.app_context():
        first = init(fresh)
        password = re.search(r"密码 / password: (\S+)", first).group(1)
        assert fresh.appbuilder.sm.auth_user_db("admin", password) is not None
        after_first = snapshot(fresh)
        assert set(ROLE_NAMES) <= set(after_first["roles"])
        second = init(fresh)
        assert "密码 / password" not in second
        assert snapshot(fresh) == after_first
        db.session.remove()
        db.engine.dispose()
