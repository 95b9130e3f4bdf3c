"""审计日志 (SPEC §2 权限管理): every create / update / delete through a screen or the API
records who, when, which record and each changed field old → new; only admins read the
log, in a screen that cannot change it."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Customer
from tests import factories as f


def entries(table, record_id):
    db.session.expire_all()
    stmt = select(AuditLog).where(AuditLog.table_name == table, AuditLog.record_id == record_id)
    return db.session.execute(stmt.order_by(AuditLog.id)).scalars().all()


def changes(entry):
    return json.loads(entry.changes or "{}")


def assert_recent_by(entry, username):
    assert entry.user_id == f.user(username).id
    assert dt.datetime.now() - entry.created_on < dt.timedelta(minutes=5)


# ---------------------------------------------------------------- through the screens


def test_screen_create_update_delete_are_audited(browser, ctx):
    b = browser("am1")
    r = b.post(
        "/customerview/add", data={"name": "审计屏幕有限公司", "phone": "021-5550001", "satisfaction": 3, "credit": 4}
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    customer = db.session.execute(select(Customer).where(Customer.name == "审计屏幕有限公司")).scalar_one()
    pk = customer.id
    [created] = entries("customer", pk)
    assert created.action == "create" and created.customer_id == pk
    assert_recent_by(created, "am1")
    assert "审计屏幕有限公司" in created.changes and "021-5550001" in created.changes

    form = {
        "name": "审计屏幕有限公司",
        "phone": "021-5550002",
        "satisfaction": 3,
        "credit": 5,
        "manager": f.user("am1").id,
        "form_version": customer.version,
    }
    r = b.post(f"/customerview/edit/{pk}", data=form)
    assert r.status_code == 302
    update = entries("customer", pk)[-1]
    assert update.action == "update"
    assert_recent_by(update, "am1")
    assert changes(update)["phone"] == ["021-5550001", "021-5550002"]
    assert changes(update)["credit"] == [4, 5]
    assert "name" not in changes(update)  # unchanged fields are not listed

    assert b.post(f"/customerview/delete/{pk}").status_code == 302
    deleted = entries("customer", pk)[-1]
    assert deleted.action == "delete"
    assert_recent_by(deleted, "am1")


# ---------------------------------------------------------------- through the API


def test_api_create_update_delete_are_audited(api, ctx):
    director = api("director")
    body = {"no": "ERP-0001", "name": "审计接口有限公司", "phone": "010-6660001", "satisfaction": 4, "credit": 3}
    body["manager_id"] = f.user("am2").id
    r = director.post("/api/v1/customer/", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    pk = r.json["id"]
    [created] = entries("customer", pk)
    assert created.action == "create"
    assert_recent_by(created, "director")

    version = director.get(f"/api/v1/customer/{pk}").json["result"]["version"]
    r = director.put(f"/api/v1/customer/{pk}", json={"phone": "010-6660002", "version": version})
    assert r.status_code == 200, r.get_data(as_text=True)
    update = entries("customer", pk)[-1]
    assert update.action == "update" and changes(update)["phone"] == ["010-6660001", "010-6660002"]
    assert_recent_by(update, "director")

    assert director.delete(f"/api/v1/customer/{pk}").status_code == 200
    deleted = entries("customer", pk)[-1]
    assert deleted.action == "delete"
    assert_recent_by(deleted, "director")


def test_child_records_are_audited_on_their_customers_timeline(browser, ctx):
    pk = f.customer("am1")
    contact = f.contact(pk, name="王审计")
    [created] = entries("contact", contact)
    assert created.action == "create" and created.customer_id == pk


# ---------------------------------------------------------------- the read-only screen


@pytest.fixture
def logged(ctx):
    pk = f.customer("am1", phone="021-1000000")
    customer = db.session.get(Customer, pk)
    customer.phone = "021-2000000"
    db.session.commit()
    return entries("customer", pk)[-1].id


def test_admin_reads_the_log_with_old_and_new_values(browser, logged):
    b = browser("admin")
    assert b.get("/auditlogview/list/").status_code == 200
    html = b.get(f"/auditlogview/show/{logged}").get_data(as_text=True)
    assert "021-1000000" in html and "021-2000000" in html and "→" in html


@pytest.mark.parametrize("username", ["director", "am1", "agent", "exec"])
def test_others_cannot_read_the_log(browser, logged, username):
    b = browser(username)
    for url in ("/auditlogview/list/", f"/auditlogview/show/{logged}"):
        r = b.get(url)
        assert r.status_code in (302, 403) and "021-2000000" not in r.get_data(as_text=True)


def test_nobody_can_change_the_log(browser, logged):
    b = browser("admin")
    assert b.get("/auditlogview/add").status_code == 404
    assert b.get(f"/auditlogview/edit/{logged}").status_code == 404
    assert b.post(f"/auditlogview/delete/{logged}").status_code in (404, 405)
    db.session.expire_all()
    assert db.session.get(AuditLog, logged) is not None
