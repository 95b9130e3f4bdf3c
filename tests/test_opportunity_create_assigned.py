"""SPEC §2 营销管理 step 1: a director may assign while creating; nobody else may."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Opportunity

BODY = {"customer_name": "创建即指派有限公司", "title": "年度采购", "probability": 40, "expected_revenue": 8000}


def _count():
    db.session.expire_all()
    return db.session.execute(select(func.count(Opportunity.id))).scalar()


def test_director_creates_assigned_through_the_api(api, ctx, users):
    r = api("director").post("/api/v1/opportunity/", json={**BODY, "assignee_id": users["am1"]})
    assert r.status_code == 201, r.get_data(as_text=True)
    opp = db.session.get(Opportunity, r.json["id"])
    db.session.refresh(opp)
    assert (opp.status, opp.assignee_id) == ("assigned", users["am1"])
    assert opp.assigned_on is not None
    steps = db.session.execute(
        select(AuditLog.transition).where(AuditLog.table_name == "opportunity", AuditLog.record_id == opp.id)
    ).scalars()
    assert "assign" in list(steps)
    # and the assignee can work it straight away
    assert api("am1").post(f"/api/v1/opportunity/{opp.id}/plan", json={"date": "2026-12-01", "todo": "拜访"}).status_code == 200


def test_account_manager_cannot_create_assigned(api, ctx, users):
    r = api("am1").post("/api/v1/opportunity/", json={**BODY, "assignee_id": users["am2"]})
    assert r.status_code == 403
    assert _count() == 0  # nothing half-written


def test_assignee_must_work_opportunities(api, ctx, users):
    r = api("director").post("/api/v1/opportunity/", json={**BODY, "assignee_id": users["agent"]})
    assert r.status_code == 400 and r.json["field"] == "assignee_id"
    assert _count() == 0


def test_assignee_cannot_be_changed_by_put(api, ctx, users):
    r = api("director").post("/api/v1/opportunity/", json=BODY)
    pk = r.json["id"]
    r = api("director").put(f"/api/v1/opportunity/{pk}", json={"assignee_id": users["am1"]})
    assert r.status_code in (400, 422)
    assert db.session.get(Opportunity, pk).assignee_id is None


def test_add_form_offers_assignment_to_directors_only(browser, ctx, users):
    assert 'name="assign_to"' in browser("director").get("/opportunityview/add").get_data(as_text=True)
    assert 'name="assign_to"' not in browser("am1").get("/opportunityview/add").get_data(as_text=True)
    r = browser("director").post("/opportunityview/add", data={**BODY, "assign_to": str(users["am2"])})
    assert r.status_code == 302
    opp = db.session.execute(select(Opportunity)).scalar_one()
    assert (opp.status, opp.assignee_id) == ("assigned", users["am2"])
