"""营销管理 screens: 销售机会管理 (assign, one or many), 客户开发计划 (plan, execute, win, fail),
the archive and the pipeline board — form posts with CSRF, only the buttons that work."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Customer, Opportunity, Plan
from tests import factories as f


def _opp(pk):
    db.session.expire_all()
    return db.session.get(Opportunity, pk)


def _html(response):
    return response.get_data(as_text=True)


@pytest.fixture
def assigned(ctx, users):
    return f.opportunity(
        "director", title="华东大单", customer_name="苏州明远机械有限公司", contact="周工", phone="0512-6666 8888",
        status="assigned", assignee_id=users["am1"], branch_id=f.user("am1").branch_id,
    )  # fmt: skip


# ---------------------------------------------------------------- the happy path on screens


def test_director_creates_and_assigns_then_manager_wins(browser, ctx, users):
    director = browser("director")
    r = director.post(
        "/opportunityview/add",
        data={"customer_name": "宁波海通物流有限公司", "title": "仓储系统", "probability": "70",
              "expected_revenue": "120000", "contact": "陈总", "phone": "0574-1234 5678", "source": "web"},
    )  # fmt: skip
    assert r.status_code == 302, _html(r)
    pk = db.session.execute(select(Opportunity.id).where(Opportunity.title == "仓储系统")).scalar_one()
    assert _opp(pk).status == "unassigned"

    page = _html(director.get(f"/opportunityview/show/{pk}"))
    assert 'data-target="#crm-assign"' in page and "/opportunityview/win/" not in page

    r = director.post("/opportunityview/assign", data={"ids": str(pk), "assignee_id": users["am1"], "version": "1"})
    assert r.status_code == 302
    assert (_opp(pk).status, _opp(pk).assignee_id) == ("assigned", users["am1"])

    am1 = browser("am1")
    plans = _html(am1.get("/developmentplanview/list/"))
    assert "仓储系统" in plans and f"/opportunityview/plan/{pk}" in plans

    r = am1.post(f"/opportunityview/plan/{pk}/add", data={"date": "2026-12-01", "todo": "上门调研", "back": "plan"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/opportunityview/plan/{pk}")
    plan_id = db.session.execute(select(Plan.id).where(Plan.opportunity_id == pk)).scalar_one()

    r = am1.post(f"/opportunityview/plan/{pk}/{plan_id}/edit", data={"date": "2026-12-02", "todo": "上门调研需求"})
    assert r.status_code == 302
    r = am1.post(f"/opportunityview/execute/{pk}", data={"plan_id": plan_id, "result": "需求已确认"})
    assert r.status_code == 302
    db.session.expire_all()
    plan = db.session.get(Plan, plan_id)
    assert (plan.todo, plan.result) == ("上门调研需求", "需求已确认")

    page = _html(am1.get(f"/opportunityview/plan/{pk}"))
    assert "需求已确认" in page and f"/opportunityview/plan/{pk}/{plan_id}/edit" not in page  # executed: read-only

    r = am1.post(f"/opportunityview/win/{pk}")
    customer = db.session.execute(select(Customer).where(Customer.name == "宁波海通物流有限公司")).scalar_one()
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/customerview/show/{customer.id}")
    assert customer.manager_id == users["am1"]
    assert [c.name for c in customer.contacts] == ["陈总"]
    assert "开发成功" in _html(am1.get(r.headers["Location"]))


def test_plan_item_delete_and_fail_with_reason(browser, assigned):
    am1 = browser("am1")
    plan_id = f.plan(assigned, todo="电话预约")
    assert am1.post(f"/opportunityview/plan/{assigned}/{plan_id}/delete").status_code == 302
    assert db.session.execute(select(func.count(Plan.id))).scalar() == 0

    r = am1.post(f"/opportunityview/fail/{assigned}", data={"reason": ""}, follow_redirects=True)
    assert "请填写终止开发的原因" in _html(r)
    assert _opp(assigned).status == "assigned"

    r = am1.post(f"/opportunityview/fail/{assigned}", data={"reason": "选择了竞争对手"})
    assert r.status_code == 302
    assert (_opp(assigned).status, _opp(assigned).lost_reason) == ("lost", "选择了竞争对手")


def test_multi_select_assign(browser, ctx, users):
    one, two = f.opportunity("director", title="机会甲"), f.opportunity("director", title="机会乙")
    director = browser("director")
    r = director.post("/opportunityview/action_post", data={"action": "assign_many", "rowid": [one, two]})
    assert r.status_code == 302 and "/opportunityview/assign" in r.headers["Location"]
    form = _html(director.get(r.headers["Location"]))
    assert "机会甲" in form and "机会乙" in form
    r = director.post("/opportunityview/assign", data={"ids": f"{one},{two}", "assignee_id": users["am2"]})
    assert r.status_code == 302
    assert {_opp(one).assignee_id, _opp(two).assignee_id} == {users["am2"]}


def test_multi_select_assign_goes_through_scope(browser, ctx, users):
    mine = f.opportunity("am1", title="我的机会")
    theirs = f.opportunity("am2", title="别人的机会")
    r = browser("am1").post("/opportunityview/action_post", data={"action": "assign_many", "rowid": [mine, theirs]})
    assert r.status_code == 404
    r = browser("director").post("/opportunityview/assign", data={"ids": f"{mine},999999", "assignee_id": users["am1"]})
    assert r.status_code == 404
    assert _opp(mine).status == "unassigned"


def test_account_manager_cannot_assign(browser, ctx, users):
    pk = f.opportunity("am1")
    r = browser("am1").post("/opportunityview/assign", data={"ids": str(pk), "assignee_id": users["am1"]})
    assert r.status_code == 403
    assert _opp(pk).status == "unassigned"


def test_stale_assign_form_is_refused_with_a_message(browser, assigned, users):
    director = browser("director")
    assert director.post("/opportunityview/assign", data={"ids": assigned, "assignee_id": users["am2"], "version": 1})
    r = director.post(
        "/opportunityview/assign",
        data={"ids": assigned, "assignee_id": users["am1"], "version": 1},
        follow_redirects=True,
    )
    assert "已被他人修改" in _html(r) or "changed by someone else" in _html(r)
    assert _opp(assigned).assignee_id == users["am2"]


# ---------------------------------------------------------------- only the buttons the user may press


@pytest.mark.parametrize(
    "username, present, absent",
    [
        ("director", ["重新指派", "/opportunityview/fail/"], ["/opportunityview/win/", "/opportunityview/edit/"]),
        (
            "am1",
            ["开发成功", "/opportunityview/win/", "/opportunityview/fail/", "/opportunityview/plan/"],
            ["crm-assign", "/opportunityview/edit/"],
        ),
        ("exec", [], ["crm-assign", "/opportunityview/win/", "/opportunityview/fail/", "/opportunityview/plan/"]),
    ],
)
def test_show_page_buttons(browser, assigned, username, present, absent):
    page = _html(browser(username).get(f"/opportunityview/show/{assigned}"))
    for text in present:
        assert text in page, text
    for text in absent:
        assert text not in page, text


def test_archived_page_has_no_workflow_buttons(browser, ctx, users):
    pk = f.opportunity("director", status="won", assignee_id=users["am1"])
    for username in ("director", "am1"):
        page = _html(browser(username).get(f"/opportunityview/show/{pk}"))
        for text in ("crm-assign", "/opportunityview/win/", "/opportunityview/fail/", f"/opportunityview/edit/{pk}"):
            assert text not in page


def test_list_shows_unassigned_first_and_edit_only_where_allowed(browser, ctx, users):
    waiting = f.opportunity("director", title="待指派的机会")
    working = f.opportunity("director", title="已指派的机会", status="assigned", assignee_id=users["am1"])
    page = _html(browser("director").get("/opportunityview/list/?_oc_OpportunityView=title&_od_OpportunityView=desc"))
    assert page.index("待指派的机会") < page.index("已指派的机会")
    assert f"/opportunityview/edit/{waiting}" in page
    assert f"/opportunityview/edit/{working}" not in page


# ---------------------------------------------------------------- edit / delete rules on screens


def test_edit_refused_once_assigned(browser, assigned):
    director = browser("director")
    r = director.get(f"/opportunityview/edit/{assigned}", follow_redirects=True)
    assert "只有未指派的销售机会才能修改或删除" in _html(r)
    director.post(f"/opportunityview/edit/{assigned}", data={"customer_name": "X", "title": "改过", "probability": 1,
                                                             "expected_revenue": 1, "form_version": 1})  # fmt: skip
    assert _opp(assigned).title == "华东大单"
    director.post(f"/opportunityview/delete/{assigned}")
    assert _opp(assigned) is not None


def test_stale_version_on_edit_form_is_refused(browser, ctx):
    pk = f.opportunity("director", title="原概要")
    director = browser("director")
    form = {"customer_name": "某公司", "probability": 50, "expected_revenue": 100}
    director.post(f"/opportunityview/edit/{pk}", data={**form, "title": "第一次", "form_version": 1})
    assert _opp(pk).title == "第一次"
    r = director.post(
        f"/opportunityview/edit/{pk}", data={**form, "title": "旧表单", "form_version": 1}, follow_redirects=True
    )
    assert _opp(pk).title == "第一次"
    assert "已被他人修改" in _html(r) or "changed by someone else" in _html(r)


def test_probability_outside_range_on_the_form(browser, ctx):
    r = browser("director").post("/opportunityview/add", data={"customer_name": "某公司", "title": "t", "probability": 120,
                                                               "expected_revenue": 0})  # fmt: skip
    assert r.status_code == 200  # the form again, with the error
    assert db.session.execute(select(func.count(Opportunity.id))).scalar() == 0


# ---------------------------------------------------------------- archive and board


def test_archive_lists_won_and_lost_and_is_read_only(browser, ctx, users):
    f.opportunity("director", title="赢单项目", status="won", assignee_id=users["am1"])
    f.opportunity("director", title="丢单项目", status="lost", assignee_id=users["am1"], lost_reason="价格")
    f.opportunity("director", title="进行中项目", status="assigned", assignee_id=users["am1"])
    page = _html(browser("director").get("/opportunityarchiveview/list/"))
    assert "赢单项目" in page and "丢单项目" in page and "进行中项目" not in page
    assert "/opportunityarchiveview/edit/" not in page
    found = _html(browser("director").get("/opportunityarchiveview/list/?_flt_2_title=赢单"))
    assert "赢单项目" in found and "丢单项目" not in found
    assert browser("director").get("/opportunityarchiveview/edit/1").status_code == 404


def _column(page, status):
    block = re.search(rf'data-status="{status}">(.*?)</div>\s*</div>\s*</div>', page, re.S).group(1)
    count = int(re.search(r'crm-board-count">(\d+)<', block).group(1))
    revenue = re.search(r"crm-board-revenue\">[^：]*：([\d,.]+)", block).group(1)
    return count, revenue, block


def test_board_counts_and_revenue_within_scope(browser, ctx, users):
    f.opportunity("director", title="甲", expected_revenue=1000)
    sh = f.user("am1").branch_id
    f.opportunity(
        "director", title="乙", expected_revenue=2500, status="assigned", assignee_id=users["am1"], branch_id=sh
    )
    f.opportunity("director", title="丙", expected_revenue=500, status="assigned", assignee_id=users["am2"])
    page = _html(browser("director").get("/crm/pipeline/"))
    assert _column(page, "unassigned")[:2] == (1, "1,000.00")
    count, revenue, block = _column(page, "assigned")
    assert (count, revenue) == (2, "3,000.00")
    assert "/opportunityview/show/" in block

    mine = _html(browser("am1").get("/crm/pipeline/"))
    assert _column(mine, "assigned")[:2] == (1, "2,500.00")
    assert "丙" not in mine

    filtered = _html(browser("director").get(f"/crm/pipeline/?manager_id={users['am2']}"))
    assert _column(filtered, "assigned")[:2] == (1, "500.00")
    by_branch = _html(browser("director").get(f"/crm/pipeline/?branch_id={sh}"))
    assert _column(by_branch, "assigned")[:2] == (1, "2,500.00")


def test_board_needs_the_right(browser, ctx):
    assert browser("agent").get("/crm/pipeline/").status_code == 403
    assert browser("exec").get("/crm/pipeline/").status_code == 200


@pytest.mark.parametrize(
    "username, shown, hidden",
    [
        ("director", ["销售漏斗看板", "已归档销售机会"], ["客户开发计划"]),
        ("am1", ["客户开发计划", "销售漏斗看板"], []),
        ("agent", [], ["销售漏斗看板", "客户开发计划"]),
    ],
)
def test_sales_menu_by_role(browser, username, shown, hidden):
    page = _html(browser(username).get("/"))
    assert all(label in page for label in shown)
    assert not any(label in page for label in hidden)


def test_board_says_when_a_column_is_empty(browser, ctx):
    html = _html(browser("director").get("/crm/pipeline/"))
    assert html.count("暂无销售机会") == 4  # no opportunities at all: every status column says so
