"""营销管理 workflow through the REST API and the model: assign → plan → execute → win / fail,
every illegal step (role, state, assignee, scope, input), and two requests at once."""

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Contact, Customer, Forbidden, Opportunity, Plan
from tests import factories as f

URL = "/api/v1/opportunity"


def _opp(pk):
    db.session.expire_all()
    return db.session.get(Opportunity, pk)


def _transitions(pk, table="opportunity"):
    rows = db.session.execute(
        select(AuditLog.transition).where(
            AuditLog.table_name == table, AuditLog.record_id == pk, AuditLog.action == "transition"
        )
        .order_by(AuditLog.id)
    )
    return [r[0] for r in rows]


@pytest.fixture
def assigned(ctx, users):
    """An opportunity the director created and assigned to am1 (上海)."""
    return f.opportunity(
        "director", customer_name="上海星辰科技有限公司", contact="王经理", phone="021-5555 0101",
        status="assigned", assignee_id=users["am1"], branch_id=f.user("am1").branch_id,
    )  # fmt: skip


# ---------------------------------------------------------------- the happy path


def test_full_path_through_the_api(api, ctx, users):
    director, am1 = api("director"), api("am1")
    r = director.post(f"{URL}/", json={"customer_name": "杭州云帆网络有限公司", "title": "ERP 采购", "probability": 60,
                                       "expected_revenue": 80000, "contact": "李总", "phone": "0571-8888 1234"})  # fmt: skip
    assert r.status_code == 201, r.json
    pk = r.json["id"]
    assert _opp(pk).status == "unassigned"

    r = director.post(f"{URL}/{pk}/assign", json={"assignee_id": users["am1"]})
    assert r.status_code == 200, r.json
    assert r.json["result"]["status"] == "assigned" and r.json["result"]["assignee_id"] == users["am1"]

    r = am1.post(f"{URL}/{pk}/plan", json={"date": "2026-12-01", "todo": "上门演示"})
    assert r.status_code == 200, r.json
    plan_id = r.json["plan"]["id"]
    assert r.json["plan"]["todo"] == "上门演示"

    r = am1.post(f"{URL}/{pk}/execute", json={"plan_id": plan_id, "result": "客户认可方案"})
    assert r.status_code == 200, r.json
    assert r.json["plan"]["result"] == "客户认可方案" and r.json["plan"]["done_on"]

    r = am1.post(f"{URL}/{pk}/win")
    assert r.status_code == 200, r.json
    customer_id = r.json["customer_id"]
    assert r.json["result"]["status"] == "won" and r.json["result"]["customer_id"] == customer_id

    customer = db.session.get(Customer, customer_id)
    assert customer.name == "杭州云帆网络有限公司"
    assert customer.manager_id == users["am1"]
    assert customer.branch_id == f.user("am1").branch_id
    assert customer.source == "opportunity"
    assert [(c.name, c.is_primary) for c in customer.contacts] == [("李总", True)]
    assert _transitions(pk) == ["assign", "win"]
    assert _transitions(plan_id, "plan") == ["execute"]
    entry = db.session.execute(select(AuditLog).where(AuditLog.transition == "win")).scalar_one()
    assert entry.user_id == users["am1"] and entry.customer_id == customer_id


def test_fail_records_the_reason(api, assigned):
    r = api("am1").post(f"{URL}/{assigned}/fail", json={"reason": "客户预算取消"})
    assert r.status_code == 200, r.json
    opp = _opp(assigned)
    assert (opp.status, opp.lost_reason) == ("lost", "客户预算取消") and opp.closed_on
    assert _transitions(assigned) == ["fail"]


def test_director_may_reassign(api, assigned, users):
    r = api("director").post(f"{URL}/{assigned}/assign", json={"assignee_id": users["am2"]})
    assert r.status_code == 200
    opp = _opp(assigned)
    assert opp.assignee_id == users["am2"]
    assert opp.branch_id == f.user("am2").branch_id  # the branch working it sees it


# ---------------------------------------------------------------- who may do what

STEPS = {
    "assign": lambda users: {"assignee_id": users["am1"]},
    "plan": lambda users: {"date": "2026-12-01", "todo": "电话回访"},
    "win": lambda users: {},
    "fail": lambda users: {"reason": "预算不足"},
}


@pytest.mark.parametrize(
    "username, step, status",
    [
        ("director", "assign", 200),
        ("am1", "assign", 403),  # account managers do not assign
        ("exec", "assign", 403),
        ("agent", "assign", 403),
        ("am1", "plan", 200),
        ("director", "plan", 403),  # not the assignee's right
        ("am2", "plan", 404),  # out of scope: like missing
        ("am1", "win", 200),
        ("director", "win", 403),
        ("exec", "win", 403),
        ("am2", "win", 404),
        ("am1", "fail", 200),
        ("director", "fail", 200),
        ("exec", "fail", 403),
        ("am2", "fail", 404),
    ],
)
def test_role_by_step(api, assigned, users, username, step, status):
    r = api(username).post(f"{URL}/{assigned}/{step}", json=STEPS[step](users))
    assert r.status_code == status, r.json
    if status != 200:
        assert _opp(assigned).status == "assigned"
        assert _transitions(assigned) == []


@pytest.mark.parametrize("step", ["plan", "win", "fail"])
def test_in_scope_but_not_the_assignee(api, ctx, users, step):
    """am1 created it (so sees it) but it was given to am2."""
    pk = f.opportunity("am1", status="assigned", assignee_id=users["am2"])
    r = api("am1").post(f"{URL}/{pk}/{step}", json=STEPS[step](users))
    assert r.status_code == 403
    assert r.json["message"] in ("只有该销售机会的负责人（被指派人）才能执行此操作", "只有负责人或销售主管才能终止开发")
    assert _opp(pk).status == "assigned"


def test_missing_opportunity_is_404(api, ctx):
    assert api("director").post(f"{URL}/999999/assign", json={"assignee_id": 1}).status_code == 404


# ---------------------------------------------------------------- wrong state → 409


@pytest.mark.parametrize(
    "status, username, step",
    [
        ("unassigned", "director", "fail"),
        ("won", "director", "assign"),
        ("lost", "director", "assign"),
        ("won", "am1", "win"),
        ("lost", "am1", "win"),
        ("won", "am1", "fail"),
        ("lost", "am1", "plan"),
    ],
)
def test_wrong_state(api, ctx, users, status, username, step):
    pk = f.opportunity("director", status=status, assignee_id=None if status == "unassigned" else users["am1"])
    r = api(username).post(f"{URL}/{pk}/{step}", json=STEPS[step](users))
    assert r.status_code == 409, r.json
    assert r.json["message"]
    assert _opp(pk).status == status


def test_unassigned_cannot_be_won_even_by_its_creator(api, ctx):
    pk = f.opportunity("am1")
    r = api("am1").post(f"{URL}/{pk}/win")
    assert r.status_code == 409
    assert r.json["message"] == "只有已指派的销售机会才能开发成功"


def test_win_twice(api, assigned):
    am1 = api("am1")
    assert am1.post(f"{URL}/{assigned}/win").status_code == 200
    second = am1.post(f"{URL}/{assigned}/win")
    assert second.status_code == 409
    assert "已归档" in second.json["message"]
    assert db.session.execute(select(func.count(Customer.id))).scalar() == 1


def test_execute_once_only(api, assigned):
    plan_id = f.plan(assigned)
    am1 = api("am1")
    assert am1.post(f"{URL}/{assigned}/execute", json={"plan_id": plan_id, "result": "已报价"}).status_code == 200
    again = am1.post(f"{URL}/{assigned}/execute", json={"plan_id": plan_id, "result": "再次执行"})
    assert again.status_code == 409
    assert db.session.get(Plan, plan_id).result == "已报价"


# ---------------------------------------------------------------- bad input → 400 naming the field


@pytest.mark.parametrize(
    "username, step, body, field",
    [
        ("am1", "fail", {}, "reason"),
        ("am1", "fail", {"reason": "   "}, "reason"),
        ("director", "assign", {}, "assignee_id"),
        ("director", "assign", {"assignee_id": "abc"}, "assignee_id"),
        ("am1", "plan", {"date": "2026-12-01"}, "todo"),
        ("am1", "plan", {"todo": "拜访"}, "date"),
        ("am1", "plan", {"date": "12/01/2026", "todo": "拜访"}, "date"),
        ("am1", "execute", {"plan_id": None, "result": ""}, "result"),
    ],
)
def test_bad_input(api, assigned, username, step, body, field):
    r = api(username).post(f"{URL}/{assigned}/{step}", json=body)
    assert r.status_code == 400, r.json
    assert r.json["field"] == field and r.json["message"]
    assert _opp(assigned).status == "assigned"


def test_assignee_must_work_opportunities(api, assigned, users):
    r = api("director").post(f"{URL}/{assigned}/assign", json={"assignee_id": users["agent"]})
    assert r.status_code == 400
    assert r.json == {"message": "该用户不能负责销售机会", "field": "assignee_id"}


def test_unknown_plan_item_is_404(api, assigned):
    r = api("am1").post(f"{URL}/{assigned}/execute", json={"plan_id": 987654, "result": "好"})
    assert r.status_code == 404 and r.json["field"] == "plan_id"


@pytest.mark.parametrize("probability", [-1, 101, 150])
def test_probability_outside_0_100(api, ctx, probability):
    r = api("director").post(f"{URL}/", json={"customer_name": "某公司", "title": "意向", "probability": probability})
    assert r.status_code == 400, r.json
    assert r.json["field"] == "probability"
    assert r.json["message"] == "成功几率必须在 0 到 100 之间"
    assert db.session.execute(select(func.count(Opportunity.id))).scalar() == 0


def test_probability_on_edit(api, ctx):
    pk = f.opportunity("director")
    r = api("director").put(f"{URL}/{pk}", json={"probability": 120})
    assert r.status_code == 400 and r.json["field"] == "probability"
    assert _opp(pk).probability == 50


# ---------------------------------------------------------------- edit / delete only while unassigned


@pytest.mark.parametrize(
    "creator, username, method, status",
    [
        ("am1", "am1", "put", 200),  # its creator
        ("am1", "director", "put", 200),  # a director
        ("am1", "am1", "delete", 200),
        ("am1", "director", "delete", 200),
        ("am1", "am2", "put", 404),  # out of scope
        ("am1", "am2", "delete", 404),
    ],
)
def test_edit_delete_unassigned(api, ctx, creator, username, method, status):
    pk = f.opportunity(creator)
    call = getattr(api(username), method)
    r = call(f"{URL}/{pk}", json={"title": "改过的概要"}) if method == "put" else call(f"{URL}/{pk}")
    assert r.status_code == status, r.json


@pytest.mark.parametrize("status", ["assigned", "won", "lost"])
@pytest.mark.parametrize("method", ["put", "delete"])
def test_no_edit_delete_once_assigned(api, ctx, users, status, method):
    pk = f.opportunity("am1", status=status, assignee_id=users["am1"])
    call = getattr(api("director"), method)
    r = call(f"{URL}/{pk}", json={"title": "改过的概要"}) if method == "put" else call(f"{URL}/{pk}")
    assert r.status_code == 409, r.json
    opp = _opp(pk)
    assert opp is not None and opp.title == "采购意向"


def test_plan_items_rest_resource_follows_the_rules(api, assigned):
    """The generic /plan resource cannot bypass the workflow: no edits after a result."""
    done = f.plan(assigned, result="已完成")
    r = api("am1").put(f"/api/v1/plan/{done}", json={"todo": "改写历史"})
    assert r.status_code == 409
    assert db.session.get(Plan, done).todo == "电话回访"
    r = api("director").post("/api/v1/plan/", json={"opportunity_id": assigned, "date": "2026-12-01", "todo": "x"})
    assert r.status_code == 403


def test_stale_version_on_edit_is_refused(api, ctx):
    pk = f.opportunity("director")
    director = api("director")
    assert director.put(f"{URL}/{pk}", json={"title": "第一次", "version": 1}).status_code == 200
    r = director.put(f"{URL}/{pk}", json={"title": "基于旧版本", "version": 1})
    assert r.status_code == 409
    assert _opp(pk).title == "第一次"


def test_stale_version_on_assign_is_refused(api, assigned, users):
    director = api("director")
    assert (
        director.post(f"{URL}/{assigned}/assign", json={"assignee_id": users["am2"], "version": 1}).status_code == 200
    )
    r = director.post(f"{URL}/{assigned}/assign", json={"assignee_id": users["am1"], "version": 1})
    assert r.status_code == 409
    assert _opp(assigned).assignee_id == users["am2"]


def test_check_editable_names_the_rule(ctx, users):
    opp = _opp(f.opportunity("director"))
    with pytest.raises(Forbidden):
        opp.check_editable(f.user("am1"))
    opp.check_editable(f.user("director"))


# ---------------------------------------------------------------- win → customer


def test_win_links_an_existing_customer_of_the_same_name(api, assigned, users):
    existing = f.customer("am2", name="上海 星辰科技 有限公司")
    f.contact(existing, name="赵总", is_primary=True)
    r = api("am1").post(f"{URL}/{assigned}/win")
    assert r.status_code == 200
    assert r.json["customer_id"] == existing
    assert db.session.execute(select(func.count(Customer.id))).scalar() == 1
    contacts = db.session.execute(select(Contact.name, Contact.is_primary).where(Contact.customer_id == existing))
    assert sorted(contacts) == [("王经理", False), ("赵总", True)]
    assert db.session.get(Customer, existing).manager_id == users["am2"]  # linking changes no owner


def test_win_of_an_opportunity_for_a_known_customer(api, ctx, users):
    known = f.customer("am1", name="老客户有限公司")
    pk = f.opportunity(
        "director", customer_name="老客户", customer_id=known, status="assigned", assignee_id=users["am1"]
    )
    r = api("am1").post(f"{URL}/{pk}/win")
    assert r.json["customer_id"] == known
    assert db.session.execute(select(func.count(Customer.id))).scalar() == 1


# ---------------------------------------------------------------- two requests at the same moment


def _race(calls):
    """Start every call at the same instant, each in its own thread (own app context,
    own session and connection); return the responses."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_double_win_creates_one_customer(api, assigned):
    first, second = api("am1"), api("am1")
    db.session.remove()  # the test holds no connection while the two requests race
    results = _race([lambda: first.post(f"{URL}/{assigned}/win"), lambda: second.post(f"{URL}/{assigned}/win")])
    assert sorted(r.status_code for r in results) == [200, 409], [r.json for r in results]
    assert _opp(assigned).status == "won"
    assert _transitions(assigned) == ["win"]
    assert db.session.execute(select(func.count(Customer.id))).scalar() == 1
    assert db.session.execute(select(func.count(Contact.id))).scalar() == 1


def test_concurrent_assign_by_two_directors(api, ctx, users):
    pk = f.opportunity("director")
    one, two = api("director"), api("admin")
    db.session.remove()
    results = _race(
        [
            lambda: one.post(f"{URL}/{pk}/assign", json={"assignee_id": users["am1"], "version": 1}),
            lambda: two.post(f"{URL}/{pk}/assign", json={"assignee_id": users["am2"], "version": 1}),
        ]
    )
    assert sorted(r.status_code for r in results) == [200, 409], [r.json for r in results]
    winner = results[0] if results[0].status_code == 200 else results[1]
    assert _opp(pk).assignee_id == winner.json["result"]["assignee_id"]
    assert _opp(pk).version == 2
    assert _transitions(pk) == ["assign"]


def test_concurrent_win_and_fail(api, assigned):
    am1, director = api("am1"), api("director")
    db.session.remove()
    results = _race(
        [
            lambda: am1.post(f"{URL}/{assigned}/win"),
            lambda: director.post(f"{URL}/{assigned}/fail", json={"reason": "撤销"}),
        ]
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    opp = _opp(assigned)
    assert len(_transitions(assigned)) == 1
    expected_customers = 1 if opp.status == "won" else 0
    assert db.session.execute(select(func.count(Customer.id))).scalar() == expected_customers
