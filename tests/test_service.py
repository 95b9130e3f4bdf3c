"""服务管理: tickets from creation to archive — assign, handle, feedback with satisfaction,
back to the assignee when unsatisfied; guarded steps, one audit entry each, data scope."""

import datetime as dt
import re
import threading
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Conflict, Service, ServiceRound
from tests import factories as f

API = "/api/v1/service"


def ticket_of(pk):
    db.session.expire_all()
    return db.session.get(Service, pk)


def transitions(pk, name=None):
    stmt = select(func.count(AuditLog.id)).where(
        AuditLog.table_name == "service", AuditLog.record_id == pk, AuditLog.action == "transition"
    )
    if name:
        stmt = stmt.where(AuditLog.transition == name)
    return db.session.execute(stmt).scalar()


@pytest.fixture
def cust(ctx):
    """A customer of am1 (Shanghai) and one of am2 (Beijing)."""
    return {"am1": f.customer("am1", name="上海服务客户"), "am2": f.customer("am2", name="北京服务客户")}


@pytest.fixture
def new(cust):
    """A new ticket the agent opened for am1's customer."""
    return f.service(cust["am1"], creator="agent", title="打印机故障")


@pytest.fixture
def assigned(new, users):
    t = ticket_of(new)
    t.assign(f.user("am1"))
    db.session.commit()
    return new


@pytest.fixture
def handled(assigned):
    ticket_of(assigned).handle("上门更换硒鼓", f.user("am1"))
    db.session.commit()
    return assigned


@pytest.fixture
def archived(handled):
    ticket_of(handled).feedback("客户很满意", 5, f.user("agent"))
    db.session.commit()
    return handled


# ---------------------------------------------------------------- the whole lifecycle


def test_lifecycle_through_api_unsatisfied_twice_then_archived(api, cust, users):
    agent, director, am1 = api("agent"), api("director"), api("am1")
    r = agent.post(
        f"{API}/", json={"type": "complaint", "title": "发票开错", "customer_id": cust["am1"], "request": "抬头错误"}
    )
    assert r.status_code == 201, r.json
    pk = r.json["id"]
    assert agent.get(f"{API}/{pk}").json["result"]["status"] == "new"

    r = director.post(f"{API}/{pk}/assign", json={"assignee_id": users["am1"]})
    assert r.status_code == 200, r.json
    assert r.json["result"]["status"] == "assigned" and r.json["result"]["assignee_id"] == users["am1"]

    rounds = [("重开发票", agent, "还是不对", 2), ("再次重开", am1, "慢", 1), ("快递新发票", agent, "好了", 4)]
    for deal, who, result, stars in rounds:
        r = am1.post(f"{API}/{pk}/handle", json={"deal": deal})
        assert r.status_code == 200, r.json
        assert r.json["result"]["status"] == "handled" and r.json["result"]["deal"] == deal
        r = who.post(f"{API}/{pk}/feedback", json={"result": result, "satisfaction": stars})
        assert r.status_code == 200, r.json
        body = r.json["result"]
        assert body["result"] == result and body["satisfaction"] == stars
        # unsatisfied: back to the same assignee, the feedback visible; satisfied: archived
        assert body["status"] == ("archived" if stars >= 3 else "assigned")
        assert body["assignee_id"] == users["am1"]

    ticket = ticket_of(pk)
    assert ticket.archived_on is not None
    assert [(r.deal, r.result, r.satisfaction) for r in ticket.rounds] == [
        ("重开发票", "还是不对", 2),
        ("再次重开", "慢", 1),
        ("快递新发票", "好了", 4),
    ]
    assert all(r.dealt_on <= r.feedback_on for r in ticket.rounds)
    assert (transitions(pk, "assign"), transitions(pk, "handle"), transitions(pk, "feedback")) == (1, 3, 3)
    assert transitions(pk) == 7


def test_lifecycle_through_screens(browser, cust, users):
    agent, director, am1 = browser("agent"), browser("director"), browser("am1")
    form = {"type": "consult", "title": "咨询保修期", "customer": str(cust["am1"]), "request": "客户问保修几年"}
    r = agent.post("/servicecreateview/add", data=form)
    assert r.status_code == 302
    pk = db.session.execute(select(Service.id).where(Service.title == "咨询保修期")).scalar_one()
    assert r.headers["Location"].endswith(f"/serviceview/show/{pk}")
    assert ticket_of(pk).status == "new" and ticket_of(pk).created_by_id == users["agent"]

    # 服务分配: the director picks it in the list, then the assignee
    assert "咨询保修期" in director.get("/serviceassignview/list/").get_data(as_text=True)
    r = director.post("/serviceassignview/action_post", data={"action": "assign", "rowid": [str(pk)]})
    assert r.status_code == 302 and "/serviceassignview/assign" in r.headers["Location"]
    page = director.get(f"/serviceassignview/assign?ids={pk}").get_data(as_text=True)
    assert "咨询保修期" in page and f'value="{users["am1"]}"' in page
    r = director.post("/serviceassignview/assign", data={"ids": str(pk), "assignee_id": users["am1"]})
    assert r.status_code == 302
    assert ticket_of(pk).status == "assigned" and ticket_of(pk).assignee_id == users["am1"]

    # 服务处理: my assigned tickets; the ticket page has the handling form
    assert "咨询保修期" in am1.get("/servicehandleview/list/").get_data(as_text=True)
    assert 'name="deal"' in am1.get(f"/serviceview/show/{pk}").get_data(as_text=True)
    r = am1.post(f"/serviceview/handle/{pk}", data={"deal": "告知保修三年"})
    assert r.status_code == 302 and ticket_of(pk).status == "handled"

    # 服务反馈: the creator records 2 stars → back to am1 with the feedback in sight
    assert "咨询保修期" in agent.get("/servicefeedbackview/list/").get_data(as_text=True)
    r = agent.post(f"/serviceview/feedback/{pk}", data={"result": "回答太笼统", "satisfaction": "2"})
    assert r.status_code == 302 and ticket_of(pk).status == "assigned"
    handle_list = am1.get("/servicehandleview/list/").get_data(as_text=True)
    assert "咨询保修期" in handle_list and "回答太笼统" in handle_list
    page = am1.get(f"/serviceview/show/{pk}").get_data(as_text=True)
    assert "回答太笼统" in page and 'name="deal"' in page

    am1.post(f"/serviceview/handle/{pk}", data={"deal": "发送保修条款原文"})
    agent.post(f"/serviceview/feedback/{pk}", data={"result": "清楚了", "satisfaction": "5"})
    assert ticket_of(pk).status == "archived"

    # 服务归档: listed, read-only; both rounds on the ticket page in order
    assert "咨询保修期" in director.get("/servicearchiveview/list/").get_data(as_text=True)
    page = director.get(f"/serviceview/show/{pk}").get_data(as_text=True)
    page = page[page.index("crm-service-rounds") :]
    assert page.index("告知保修三年") < page.index("回答太笼统") < page.index("发送保修条款原文") < page.index("清楚了")
    assert not re.search(r'name="(deal|result|assignee_id)"', page)


# ---------------------------------------------------------------- every illegal step


@pytest.mark.parametrize(
    "who, stage, step, body, status",
    [
        # assign: SalesDirector only, only new tickets
        ("agent", "new", "assign", {"assignee_id": "am1"}, 403),
        ("am1", "new", "assign", {"assignee_id": "am1"}, 403),
        ("exec", "new", "assign", {"assignee_id": "am1"}, 403),
        ("director", "assigned", "assign", {"assignee_id": "am2"}, 409),
        ("director", "archived", "assign", {"assignee_id": "am1"}, 409),
        ("director", "new", "assign", {}, 400),
        ("director", "new", "assign", {"assignee_id": "exec"}, 400),  # may not handle tickets
        ("director", "new", "assign", {"assignee_id": 999999}, 400),
        # handle: the assignee, only assigned tickets
        ("am1", "new", "handle", {"deal": "处理"}, 409),
        ("director", "assigned", "handle", {"deal": "处理"}, 403),
        ("agent", "assigned", "handle", {"deal": "处理"}, 403),
        ("exec", "assigned", "handle", {"deal": "处理"}, 403),
        ("am1", "handled", "handle", {"deal": "再处理"}, 409),
        ("am1", "archived", "handle", {"deal": "处理"}, 409),
        ("am1", "assigned", "handle", {"deal": "   "}, 400),
        ("am1", "assigned", "handle", {}, 400),
        # feedback: the creator or the customer's manager, only handled tickets
        ("agent", "assigned", "feedback", {"result": "好", "satisfaction": 5}, 409),
        ("agent", "archived", "feedback", {"result": "好", "satisfaction": 5}, 409),
        ("director", "handled", "feedback", {"result": "好", "satisfaction": 5}, 403),
        ("exec", "handled", "feedback", {"result": "好", "satisfaction": 5}, 403),
        ("agent", "handled", "feedback", {"result": "", "satisfaction": 5}, 400),
        ("agent", "handled", "feedback", {"result": "好", "satisfaction": 0}, 400),
        ("agent", "handled", "feedback", {"result": "好", "satisfaction": 6}, 400),
        ("agent", "handled", "feedback", {"result": "好", "satisfaction": 3.5}, 400),
        ("agent", "handled", "feedback", {"result": "好", "satisfaction": "很好"}, 400),
        ("am1", "handled", "feedback", {"result": "好"}, 400),
    ],
)
def test_illegal_step_changes_nothing(request, api, users, who, stage, step, body, status):
    pk = request.getfixturevalue(stage)
    body = {k: users.get(v, v) if k == "assignee_id" else v for k, v in body.items()}
    before = ticket_of(pk)
    seen = (before.status, before.version, before.assignee_id, len(before.rounds), transitions(pk))

    r = api(who).post(f"{API}/{pk}/{step}", json=body)

    assert r.status_code == status, r.json
    assert r.json["message"]
    after = ticket_of(pk)
    assert (after.status, after.version, after.assignee_id, len(after.rounds), transitions(pk)) == seen


@pytest.mark.parametrize(
    "step, body, field, words",
    [
        ("handle", {"deal": ""}, "deal", "处理"),
        ("feedback", {"result": " ", "satisfaction": 4}, "result", "反馈"),
        ("feedback", {"result": "好", "satisfaction": 9}, "satisfaction", "满意度"),
    ],
)
def test_bad_input_names_the_field(request, api, step, body, field, words):
    pk = request.getfixturevalue("assigned" if step == "handle" else "handled")
    who = "am1" if step == "handle" else "agent"
    r = api(who).post(f"{API}/{pk}/{step}", json=body)
    assert r.status_code == 400
    assert r.json["field"] == field and words in r.json["message"]


def test_wrong_state_message_is_clear(api, assigned, users):
    r = api("director").post(f"{API}/{assigned}/assign", json={"assignee_id": users["am2"]})
    assert r.status_code == 409 and "不能再分配" in r.json["message"]


def test_screens_refuse_illegal_steps_with_a_message(browser, handled):
    am1 = browser("am1")
    r = am1.post(f"/serviceview/handle/{handled}", data={"deal": "再处理一次"})
    assert r.status_code == 302
    page = am1.get(r.headers["Location"]).get_data(as_text=True)
    assert "只有已分配的服务工单才能处理" in page
    assert ticket_of(handled).status == "handled" and len(ticket_of(handled).rounds) == 1
    # no right at all: FAB refuses before the ticket is looked at
    r = browser("exec").post(f"/serviceview/feedback/{handled}", data={"result": "好", "satisfaction": "5"})
    assert r.status_code == 403 and ticket_of(handled).status == "handled"
    # the customer's manager on the screen: satisfaction out of range
    am1.post(f"/serviceview/feedback/{handled}", data={"result": "好", "satisfaction": "7"})
    assert ticket_of(handled).status == "handled"


def test_archived_ticket_is_read_only(api, browser, archived):
    director = browser("director")
    r = director.get(f"/serviceview/edit/{archived}")
    assert r.status_code == 302
    r = director.post(f"/serviceview/edit/{archived}", data={"type": "consult", "title": "改标题", "request": "x"})
    assert ticket_of(archived).title == "打印机故障"
    r = api("director").put(f"{API}/{archived}", json={"title": "改标题"})
    assert r.status_code == 409
    r = api("director").delete(f"{API}/{archived}")
    assert r.status_code == 409
    assert ticket_of(archived).title == "打印机故障"


def test_only_new_tickets_can_be_deleted(api, new, assigned_other):
    assert api("director").delete(f"{API}/{assigned_other}").status_code == 409
    assert api("director").delete(f"{API}/{new}").status_code == 200
    assert ticket_of(new) is None


@pytest.fixture
def assigned_other(cust, users):
    return f.service(cust["am2"], creator="am2", status="assigned", assignee_id=users["am2"])


# ---------------------------------------------------------------- concurrency


def _race(app, pk, actor, step):
    """Two sessions load the same ticket, then both take the step at once."""
    from flask import g

    barrier, outcomes = threading.Barrier(2, timeout=10), []

    def worker():
        with app.app_context():
            g.crm_actor_id = f.user(actor).id
            ticket = db.session.get(Service, pk)
            ticket.customer  # noqa: B018  (everything loaded before the race)
            barrier.wait()
            try:
                step(ticket)
                db.session.commit()
                outcomes.append("done")
            except Conflict:
                db.session.rollback()
                outcomes.append("409")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


def test_concurrent_assign_one_wins(app, new, users):
    db.session.remove()
    am1, am2 = f.user("am1"), f.user("am2")
    assignees = iter([am1, am2])
    lock = threading.Lock()

    def step(ticket):
        with lock:
            who = next(assignees)
        ticket.assign(db.session.get(type(who), who.id))

    assert _race(app, new, "director", step) == ["409", "done"]
    assert ticket_of(new).status == "assigned" and ticket_of(new).version == 2
    assert transitions(new, "assign") == 1


def test_concurrent_feedback_one_wins(app, handled):
    db.session.remove()
    satisfaction = iter([1, 5])
    lock = threading.Lock()

    def step(ticket):
        with lock:
            stars = next(satisfaction)
        ticket.feedback("客户反馈", stars, db.session.get(type(ticket.customer.manager), ticket.customer.manager_id))

    assert _race(app, handled, "am1", step) == ["409", "done"]
    assert transitions(handled, "feedback") == 1
    rounds = db.session.execute(select(ServiceRound).where(ServiceRound.service_id == handled)).scalars().all()
    assert len(rounds) == 1 and rounds[0].satisfaction in (1, 5)
    assert ticket_of(handled).status == ("archived" if rounds[0].satisfaction == 5 else "assigned")


@pytest.mark.parametrize("step, who", [("assign", "director"), ("feedback", "agent")])
def test_concurrent_api_double_submit(request, api, users, step, who):
    pk = request.getfixturevalue("new" if step == "assign" else "handled")
    body = {"assignee_id": users["am1"]} if step == "assign" else {"result": "满意", "satisfaction": 4}
    clients = [api(who), api(who)]
    barrier, codes = threading.Barrier(2, timeout=10), []
    db.session.remove()

    def submit(client):
        barrier.wait()
        codes.append(client.post(f"{API}/{pk}/{step}", json=body).status_code)

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(codes) == [200, 409]
    assert transitions(pk, step) == 1


# ---------------------------------------------------------------- data scope


@pytest.fixture
def spread(cust, users):
    """Tickets the AccountManagers may or may not see."""
    return {
        "of_my_customer": f.service(cust["am1"], creator="agent", title="我客户的单"),
        "created_by_me": f.service(cust["am2"], creator="am1", title="我开的单"),
        "assigned_to_me": f.service(
            cust["am2"], creator="director", title="派给我的单", status="assigned", assignee_id=users["am1"]
        ),
        "not_mine": f.service(cust["am2"], creator="am2", title="别人的单"),
    }


def test_account_manager_sees_only_own_tickets(api, browser, spread):
    titles = {row["title"] for row in api("am1").get(f"{API}/?q=(page_size:100)").json["result"]}
    assert titles == {"我客户的单", "我开的单", "派给我的单"}
    html = browser("am1").get("/serviceview/list/").get_data(as_text=True)
    assert "派给我的单" in html and "别人的单" not in html
    assert "别人的单" in browser("director").get("/serviceview/list/").get_data(as_text=True)


@pytest.mark.parametrize(
    "step, body",
    [("handle", {"deal": "x"}), ("feedback", {"result": "x", "satisfaction": 4})],
)
def test_out_of_scope_ticket_is_404(api, browser, spread, step, body):
    pk = spread["not_mine"]
    assert api("am1").get(f"{API}/{pk}").status_code == 404
    assert api("am1").post(f"{API}/{pk}/{step}", json=body).status_code == 404
    assert api("am1").post(f"{API}/999999/{step}", json=body).status_code == 404
    assert browser("am1").get(f"/serviceview/show/{pk}").status_code == 404
    assert browser("am1").post(f"/serviceview/{step}/{pk}", data=body).status_code == 404


def test_create_only_for_a_visible_customer(api, browser, cust):
    r = api("am1").post(
        f"{API}/", json={"type": "consult", "title": "越权", "customer_id": cust["am2"], "request": "x"}
    )
    assert r.status_code == 400 and r.json["field"] == "customer_id"
    form = {"type": "consult", "title": "越权", "customer": str(cust["am2"]), "request": "x"}
    r = browser("am1").post("/servicecreateview/add", data=form)
    assert r.status_code == 200  # the form again, with the error
    assert db.session.execute(select(func.count(Service.id))).scalar() == 0
    # the customer picker searches on the server, within scope
    found = browser("am1").get("/crm/lookup/customer?q=服务客户").json["results"]
    assert [row["id"] for row in found] == [cust["am1"]]
    # a ServiceAgent sees every customer (read-only) and may open tickets for any
    r = api("agent").post(
        f"{API}/", json={"type": "consult", "title": "北京咨询", "customer_id": cust["am2"], "request": "x"}
    )
    assert r.status_code == 201
    assert ticket_of(r.json["id"]).branch_id == f.user("am2").branch_id


def test_assign_multi_row_action_goes_through_scope(browser, new, assigned_other, users):
    director = browser("director")
    r = director.post(
        "/serviceassignview/action_post", data={"action": "assign", "rowid": [str(new), str(assigned_other)]}
    )
    assert r.status_code == 404  # the assigned one is not on this list
    r = browser("agent").post("/serviceassignview/action_post", data={"action": "assign", "rowid": [str(new)]})
    assert r.status_code == 302 and ticket_of(new).status == "new"  # "Access is denied"


def test_assign_many_at_once_is_all_or_nothing(browser, cust, users):
    a = f.service(cust["am1"], creator="agent", title="甲")
    b = f.service(cust["am2"], creator="agent", title="乙")
    c = f.service(cust["am2"], creator="agent", title="丙", status="assigned", assignee_id=users["am2"])
    director = browser("director")
    r = director.post("/serviceassignview/assign", data={"ids": f"{a},{b},{c}", "assignee_id": users["am1"]})
    assert r.status_code == 200  # the form again with the conflict message
    assert "不能再分配" in r.get_data(as_text=True)
    assert [ticket_of(pk).status for pk in (a, b)] == ["new", "new"]
    r = director.post("/serviceassignview/assign", data={"ids": f"{a},{b}", "assignee_id": users["am1"]})
    assert r.status_code == 302
    assert {ticket_of(pk).assignee_id for pk in (a, b)} == {users["am1"]}
    assert transitions(a, "assign") == transitions(b, "assign") == 1


# ---------------------------------------------------------------- pages show what the user may do


def test_pages_show_only_allowed_actions(browser, new, assigned_other):
    assert 'name="assignee_id"' in browser("director").get(f"/serviceview/show/{new}").get_data(as_text=True)
    agent_page = browser("agent").get(f"/serviceview/show/{new}").get_data(as_text=True)
    assert 'name="assignee_id"' not in agent_page and 'name="deal"' not in agent_page
    menus = {u: browser(u).get("/serviceview/list/").get_data(as_text=True) for u in ("director", "agent", "exec")}
    assert "/serviceassignview/list/" in menus["director"]
    assert "/serviceassignview/list/" not in menus["agent"] and "/servicehandleview/list/" in menus["agent"]
    assert "/servicecreateview/add" not in menus["exec"] and "/servicearchiveview/list/" in menus["exec"]
    assert browser("agent").get("/serviceassignview/list/").status_code == 403


def test_work_lists_hold_the_right_tickets(browser, spread, handled, users):
    am1 = browser("am1")
    handle_list = am1.get("/servicehandleview/list/").get_data(as_text=True)
    assert "派给我的单" in handle_list and "我客户的单" not in handle_list
    feedback_list = am1.get("/servicefeedbackview/list/").get_data(as_text=True)
    assert "打印机故障" in feedback_list  # handled, of am1's customer
    assign_list = browser("director").get("/serviceassignview/list/").get_data(as_text=True)
    assert assign_list.index("我客户的单") < assign_list.index("别人的单")  # oldest first
    assert "派给我的单" not in assign_list


# ---------------------------------------------------------------- overdue and the archive


def test_open_tickets_older_than_the_limit_are_marked_overdue(app, browser, cust):
    old = dt.datetime.now() - dt.timedelta(days=app.config["SERVICE_OVERDUE_DAYS"] + 1)
    f.service(cust["am1"], creator="agent", title="陈年老单", created_on=old)
    f.service(cust["am1"], creator="agent", title="已归档老单", created_on=old, status="archived", satisfaction=4)
    f.service(cust["am1"], creator="agent", title="新单")
    html = browser("director").get("/serviceview/list/?psize_ServiceView=100").get_data(as_text=True)
    overdue = 'class="label label-danger">已逾期'
    assert html.count(overdue) == 1
    row = html[html.index("陈年老单") :]
    assert row.index(overdue) < row.index("</tr>")
    # the Excel export of the list says so too
    r = browser("director").get("/serviceview/export/")
    rows = {row[1]: row for row in load_workbook(BytesIO(r.data)).active.iter_rows(min_row=2, values_only=True)}
    assert "新创建（已逾期）" in rows["陈年老单"] and "新创建" in rows["新单"] and "已归档" in rows["已归档老单"]


def test_archive_filters(browser, cust, users):
    day = dt.datetime(2026, 3, 1, 10, 0)
    f.service(cust["am1"], title="投诉甲", type="complaint", status="archived", satisfaction=3, archived_on=day)
    f.service(cust["am2"], title="建议乙", type="suggestion", status="archived", satisfaction=5, archived_on=day)
    f.service(cust["am2"], title="咨询丙", type="consult", status="archived", satisfaction=4, archived_on=day)
    f.service(cust["am1"], title="未归档丁", type="complaint")
    director = browser("director")

    def titles(query):
        html = director.get(f"/servicearchiveview/list/?{query}").get_data(as_text=True)
        return {t for t in ("投诉甲", "建议乙", "咨询丙", "未归档丁") if t in html}

    assert titles("") == {"投诉甲", "建议乙", "咨询丙"}
    assert titles("_flt_3_type=complaint") == {"投诉甲"}
    assert titles("_flt_2_customer_name=北京") == {"建议乙", "咨询丙"}
    assert titles("_flt_0_satisfaction=5") == {"建议乙"}
    assert titles("_flt_1_archived_on=2026-02-01 00:00:00") == {"投诉甲", "建议乙", "咨询丙"}
    assert titles("_flt_2_archived_on=2026-02-01 00:00:00") == set()
    # read-only: no edit, no add on the archive
    html = director.get("/servicearchiveview/list/").get_data(as_text=True)
    assert "/serviceview/edit/" not in html and "/servicearchiveview/add" not in html
