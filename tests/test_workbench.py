"""工作台: my plan items due today / overdue, my open tickets, churn warnings of my customers,
and for directors what waits for assignment — each row a link."""

import datetime as dt

import pytest

from tests import factories as f

TODAY = dt.date.today()


@pytest.fixture
def work(ctx, users):
    from app.extensions import db
    from app.models import Churn, Plan

    opp = f.opportunity("director", title="华东大单", status="assigned", assignee_id=users["am1"])
    other = f.opportunity("director", title="北京项目", status="assigned", assignee_id=users["am2"])
    f.opportunity("director", title="待指派机会", status="unassigned")
    plans = {
        "today": Plan(opportunity_id=opp, date=TODAY, todo="今天回访"),
        "overdue": Plan(opportunity_id=opp, date=TODAY - dt.timedelta(days=3), todo="过期报价"),
        "future": Plan(opportunity_id=opp, date=TODAY + dt.timedelta(days=5), todo="下周拜访"),
        "done": Plan(opportunity_id=opp, date=TODAY, todo="已完成事项", result="客户同意"),
        "other": Plan(opportunity_id=other, date=TODAY, todo="别人的计划"),
    }
    db.session.add_all(plans.values())
    mine = f.customer("am1", name="上海甲公司")
    theirs = f.customer("am2", name="北京乙公司")
    open_ticket = f.service(mine, creator="am1", title="我的投诉单", type="complaint", status="new")
    f.service(mine, creator="am1", title="已归档单", status="archived", satisfaction=5)
    f.service(theirs, creator="am2", title="别人的单", status="new")
    churn = Churn(customer_id=mine, manager_id=users["am1"], status="warning", last_order_date=TODAY)
    db.session.add_all([churn, Churn(customer_id=theirs, manager_id=users["am2"], status="warning")])
    db.session.commit()
    return {"opp": opp, "ticket": open_ticket, "churn": churn.id}


def test_account_manager_sees_own_work_with_links(browser, work):
    html = browser("am1").get("/").get_data(as_text=True)
    assert "今天回访" in html and "过期报价" in html
    assert "下周拜访" not in html and "已完成事项" not in html and "别人的计划" not in html
    assert f'href="/opportunityview/show/{work["opp"]}"' in html
    assert "我的投诉单" in html and f'href="/serviceview/show/{work["ticket"]}"' in html
    assert "已归档单" not in html and "别人的单" not in html
    assert "上海甲公司" in html and f'href="/churnview/show/{work["churn"]}"' in html
    assert "北京乙公司" not in html
    assert 'id="wb-unassigned"' not in html and "待指派机会" not in html


def test_director_sees_what_waits_for_assignment(browser, work):
    html = browser("director").get("/").get_data(as_text=True)
    assert 'id="wb-unassigned"' in html and "待指派机会" in html
    assert 'id="wb-new-tickets"' in html and "我的投诉单" in html and "别人的单" in html
    assert "今天回访" not in html  # not the director's plan


def test_workbench_needs_login(browser):
    r = browser().get("/")
    assert r.status_code == 302 and "/login/" in r.headers["Location"]


def test_executive_can_still_open_the_workbench(browser, work):
    r = browser("exec").get("/?workbench=1")
    assert r.status_code == 200 and 'id="wb-tickets"' in r.get_data(as_text=True)
