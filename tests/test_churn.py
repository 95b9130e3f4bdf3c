"""客户流失: the scan (threshold, never-ordered, idempotent, concurrent), recovery on a new
order, and who may defer / confirm (SPEC §2)."""

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Churn, ChurnMeasure, Customer
from app.services.churn import churn_cutoff, months_before, scan
from tests import factories

TODAY = dt.date(2026, 11, 25)
CUTOFF = dt.date(2026, 5, 25)  # CRM_CHURN_MONTHS = 6
LONG_AGO = dt.datetime(2025, 1, 1)


def _status(customer_id):
    db.session.expire_all()
    return db.session.get(Customer, customer_id).status


def _open_records(customer_id):
    return (
        db.session.execute(
            select(Churn).where(Churn.customer_id == customer_id, Churn.status.in_(("warning", "deferred")))
        )
        .scalars()
        .all()
    )


def _audit(transition):
    return db.session.execute(select(AuditLog).where(AuditLog.transition == transition)).scalars().all()


# ---------------------------------------------------------------- scan


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (dt.date(2026, 11, 25), 6, dt.date(2026, 5, 25)),
        (dt.date(2026, 8, 31), 6, dt.date(2026, 2, 28)),  # clamped to the month's end
        (dt.date(2026, 3, 15), 6, dt.date(2025, 9, 15)),  # across the year
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_cutoff_follows_config(app, ctx):
    assert churn_cutoff(TODAY) == CUTOFF
    app.config["CHURN_MONTHS"] = 3
    try:
        assert churn_cutoff(TODAY) == dt.date(2026, 8, 25)
    finally:
        app.config["CHURN_MONTHS"] = 6


def test_scan_warns_quiet_customers_only(ctx, users):
    at_threshold = factories.customer(created_on=LONG_AGO)
    factories.order(at_threshold, date=CUTOFF)  # exactly 6 months: not older → no warning
    just_over = factories.customer(created_on=LONG_AGO)
    factories.order(just_over, date=CUTOFF - dt.timedelta(days=1))
    recent = factories.customer(created_on=LONG_AGO)
    factories.order(recent, date=TODAY - dt.timedelta(days=10))
    never_old = factories.customer(created_on=LONG_AGO)  # never ordered, created long ago
    never_new = factories.customer(created_on=dt.datetime(2026, 5, 25, 9, 0))  # created on the cutoff day
    only_cancelled = factories.customer(created_on=LONG_AGO)
    factories.order(only_cancelled, date=CUTOFF - dt.timedelta(days=30))
    factories.order(only_cancelled, date=TODAY, status="cancelled")  # a cancelled order is no purchase
    lost = factories.customer(created_on=LONG_AGO, status="lost")

    assert scan(db.session, today=TODAY) == 3

    warned = {
        c for c in (at_threshold, just_over, recent, never_old, never_new, only_cancelled, lost) if _open_records(c)
    }
    assert warned == {just_over, never_old, only_cancelled}
    assert [_status(c) for c in (just_over, never_old, at_threshold, lost)] == ["warning", "warning", "normal", "lost"]
    record = _open_records(just_over)[0]
    assert record.status == "warning"
    assert record.last_order_date == CUTOFF - dt.timedelta(days=1)
    assert record.manager_id == users["am1"]
    assert _open_records(never_old)[0].last_order_date is None
    # the scan is one workflow step: one audit entry with the count and the cutoff day
    [entry] = _audit("scan")
    assert (entry.table_name, entry.record_id) == ("churn", 0)
    assert json.loads(entry.changes) == {"warnings": 3, "cutoff": CUTOFF.isoformat()}


def test_scan_is_idempotent_and_keeps_open_records(ctx):
    warned = factories.customer(created_on=LONG_AGO)
    deferred = factories.customer(created_on=LONG_AGO)
    factories.churn(deferred, status="deferred")
    came_back_and_left = factories.customer(created_on=LONG_AGO)
    factories.churn(came_back_and_left, status="recovered")

    assert scan(db.session, today=TODAY) == 2  # warned + came_back_and_left; deferred already open
    assert scan(db.session, today=TODAY) == 0
    assert len(_audit("scan")) == 1  # a scan that finds nothing writes nothing
    assert len(_open_records(warned)) == 1
    assert [r.status for r in _open_records(deferred)] == ["deferred"]
    assert len(_open_records(came_back_and_left)) == 1
    assert db.session.scalar(select(func.count()).select_from(Churn)) == 4


def test_database_refuses_a_second_open_record(ctx):
    from sqlalchemy.exc import IntegrityError

    cid = factories.customer()
    factories.churn(cid)
    with pytest.raises(IntegrityError):
        factories.churn(cid, status="deferred")
    db.session.rollback()


def test_two_scans_at_once_create_no_duplicates(app, ctx):
    ids = [factories.customer(created_on=LONG_AGO) for _ in range(30)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(scan(db.session, today=TODAY))
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [0, 30]
    counts = db.session.execute(select(Churn.customer_id, func.count()).group_by(Churn.customer_id)).all()
    assert sorted(c for c, _ in counts) == sorted(ids)
    assert {n for _, n in counts} == {1}


def test_cli_prints_how_many_warnings(app, ctx):
    factories.customer(created_on=LONG_AGO)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["crm", "churn-scan"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().endswith(": 1")
    assert runner.invoke(args=["crm", "churn-scan"]).output.strip().endswith(": 0")


# ---------------------------------------------------------------- recovery


@pytest.mark.parametrize("status", ["warning", "deferred"])
def test_new_order_recovers_the_customer(ctx, status):
    cid = factories.customer(created_on=LONG_AGO)
    record = factories.churn(cid, status=status)
    factories.order(cid)
    db.session.expire_all()
    assert db.session.get(Churn, record).status == "recovered"
    assert _status(cid) == "normal"
    [entry] = _audit("recover")
    assert entry.record_id == record and entry.customer_id == cid


def test_cancelled_order_or_closed_record_changes_nothing(ctx):
    warned = factories.customer(created_on=LONG_AGO)
    record = factories.churn(warned)
    factories.order(warned, status="cancelled")
    lost = factories.customer(created_on=LONG_AGO)
    lost_record = factories.churn(lost, status="lost")
    factories.order(lost)
    db.session.expire_all()
    assert db.session.get(Churn, record).status == "warning"
    assert db.session.get(Churn, lost_record).status == "lost"
    assert _audit("recover") == []


# ---------------------------------------------------------------- defer / confirm (API)


def _warning(manager="am1"):
    cid = factories.customer(manager, created_on=LONG_AGO)
    return cid, factories.churn(cid)


@pytest.mark.parametrize(
    "username, expected",
    [
        ("am1", 200),  # the customer's manager
        ("director", 403),  # sees it, but deferring is the manager's call
        ("am2", 404),  # another manager's customer is out of scope
        ("exec", 403),  # read-only
        ("agent", 403),  # no churn rights
    ],
)
def test_who_may_defer(api, ctx, username, expected):
    cid, record = _warning()
    r = api(username).post(f"/api/v1/churn/{record}/defer", json={"measure": "总经理登门拜访，给予九折优惠"})
    assert r.status_code == expected, r.json
    db.session.expire_all()
    assert db.session.get(Churn, record).status == ("deferred" if expected == 200 else "warning")


@pytest.mark.parametrize(
    "username, expected",
    [("am1", 200), ("director", 200), ("admin", 200), ("am2", 404), ("exec", 403), ("agent", 403)],
)
def test_who_may_confirm(api, ctx, username, expected):
    cid, record = _warning()
    r = api(username).post(f"/api/v1/churn/{record}/confirm", json={"reason": "competitor"})
    assert r.status_code == expected, r.json
    assert _status(cid) == ("lost" if expected == 200 else "warning")
    if expected == 200:
        assert r.json["result"]["status"] == "lost"
        assert r.json["result"]["reason"] == "competitor"
        assert r.json["result"]["lost_on"] == dt.date.today().isoformat()


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "no-such-reason"}])
def test_confirm_needs_a_reason_from_the_dictionary(api, ctx, body):
    cid, record = _warning()
    r = api("am1").post(f"/api/v1/churn/{record}/confirm", json=body)
    assert r.status_code == 400
    assert r.json["field"] == "reason"
    assert "原因" in r.json["message"]
    assert _status(cid) == "warning"


def test_defer_needs_a_measure(api, ctx):
    _, record = _warning()
    r = api("am1").post(f"/api/v1/churn/{record}/defer", json={"measure": "  "})
    assert r.status_code == 400
    assert r.json["field"] == "measure"


def test_measures_are_appended_with_date_and_user(api, ctx, users):
    _, record = _warning()
    client = api("am1")
    assert client.post(f"/api/v1/churn/{record}/defer", json={"measure": "电话回访"}).status_code == 200
    r = client.post(f"/api/v1/churn/{record}/defer", json={"measure": "赠送试用装"})
    assert r.status_code == 200
    measures = r.json["result"]["measures"]
    assert [m["measure"] for m in measures] == ["电话回访", "赠送试用装"]
    assert {m["user_id"] for m in measures} == {users["am1"]}
    assert all(m["date"] for m in measures)
    assert r.json["result"]["status"] == "deferred"
    assert len(_audit("defer")) == 2
    # the measures are not counted twice in the audit log (no separate create entries)
    assert (
        db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.table_name == "churn_measure")) == 0
    )


def test_closed_record_refuses_further_steps(api, ctx):
    _, record = _warning()
    client = api("am1")
    assert client.post(f"/api/v1/churn/{record}/confirm", json={"reason": "price"}).status_code == 200
    assert client.post(f"/api/v1/churn/{record}/confirm", json={"reason": "price"}).status_code == 409
    assert client.post(f"/api/v1/churn/{record}/defer", json={"measure": "再试一次"}).status_code == 409
    assert len(_audit("confirm")) == 1
    assert db.session.scalar(select(func.count()).select_from(ChurnMeasure)) == 0


@pytest.mark.parametrize("username, expected", [("director", 200), ("admin", 200), ("am1", 403), ("exec", 403)])
def test_scan_endpoint(api, ctx, username, expected):
    factories.customer(created_on=LONG_AGO)
    r = api(username).post("/api/v1/churn/scan")
    assert r.status_code == expected
    if expected == 200:
        assert r.json == {"created": 1}


# ---------------------------------------------------------------- screens


def test_director_scans_from_the_list(browser, ctx):
    cid = factories.customer(created_on=LONG_AGO)
    b = browser("director")
    page = b.get("/churnview/list/").get_data(as_text=True)
    assert 'id="churn-scan"' in page and "流失预警扫描" in page
    r = b.post("/churnview/scan", follow_redirects=True)
    assert "1" in r.get_data(as_text=True)
    assert len(_open_records(cid)) == 1


def test_manager_has_no_scan_button(browser, ctx):
    factories.customer(created_on=LONG_AGO)
    b = browser("am1")
    assert 'id="churn-scan"' not in b.get("/churnview/list/").get_data(as_text=True)
    b.post("/churnview/scan")
    assert db.session.scalar(select(func.count()).select_from(Churn)) == 0


def test_scan_is_not_a_get(browser, ctx):
    factories.customer(created_on=LONG_AGO)
    browser("director").get("/churnview/scan")
    assert db.session.scalar(select(func.count()).select_from(Churn)) == 0


def test_manager_defers_and_confirms_on_the_screen(browser, ctx):
    cid, record = _warning()
    b = browser("am1")
    listing = b.get("/churnview/list/").get_data(as_text=True)
    assert db.session.get(Customer, cid).name in listing and "预警" in listing
    page = b.get(f"/churnview/show/{record}").get_data(as_text=True)
    assert 'id="churn-defer"' in page and 'id="churn-confirm"' in page
    b.post(f"/churnview/defer/{record}", data={"measure": "上门拜访"})
    page = b.get(f"/churnview/show/{record}").get_data(as_text=True)
    assert "上门拜访" in page and "暂缓流失" in page
    r = b.post(f"/churnview/confirm/{record}", data={"reason": ""}, follow_redirects=True)
    assert "请选择流失原因" in r.get_data(as_text=True)
    assert _status(cid) == "warning"
    b.post(f"/churnview/confirm/{record}", data={"reason": "price"})
    assert _status(cid) == "lost"
    page = b.get(f"/churnview/show/{record}").get_data(as_text=True)
    assert 'id="churn-defer"' not in page and "价格因素" in page


def test_managers_see_only_their_own_warnings(browser, ctx):
    _, mine = _warning("am1")
    _, theirs = _warning("am2")
    names = {r: db.session.get(Churn, r).customer.name for r in (mine, theirs)}
    page = browser("am1").get("/churnview/list/").get_data(as_text=True)
    assert names[mine] in page and names[theirs] not in page
    page = browser("director").get("/churnview/list/").get_data(as_text=True)
    assert names[mine] in page and names[theirs] in page


def test_other_manager_gets_404_on_the_screen(browser, ctx):
    _, record = _warning()
    b = browser("am2")
    assert b.get(f"/churnview/show/{record}").status_code == 404
    assert b.post(f"/churnview/defer/{record}", data={"measure": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Churn, record).status == "warning"


def test_churn_endpoints_are_in_the_openapi_spec(api, ctx):
    paths = api("admin").get("/api/v1/_openapi").json["paths"]
    assert {"/api/v1/churn/scan", "/api/v1/churn/{pk}/defer", "/api/v1/churn/{pk}/confirm"} <= set(paths)
