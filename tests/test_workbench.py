"""工作台: my plan items due today / overdue, my open tickets, churn warnings of my customers,
and for directors what waits for assignment — each row a link."""

import datetime as dt
import re

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


def _link_to(html, text, box=None):
    """The href of the workbench row that shows `text` (in the box with id `box`)."""
    if box:
        html = html[html.index(f'id="{box}"') :]
    match = re.search(r'<a class="list-group-item[^"]*" href="([^"]+)">(?:(?!</a>).)*' + re.escape(text), html, re.S)
    assert match, f"no row link for {text}"
    return match.group(1).replace("&amp;", "&")


def test_account_manager_sees_own_work_with_links(browser, work):
    am1 = browser("am1")
    html = am1.get("/").get_data(as_text=True)
    assert "今天回访" in html and "过期报价" in html
    assert "下周拜访" not in html and "已完成事项" not in html and "别人的计划" not in html
    assert "我的投诉单" in html
    assert "已归档单" not in html and "别人的单" not in html
    assert "上海甲公司" in html
    assert "北京乙公司" not in html
    assert 'id="wb-unassigned"' not in html and "待指派机会" not in html
    # each row opens its workflow page: the plan page of the opportunity, the ticket, the churn record
    assert _link_to(html, "今天回访") == f"/opportunityview/plan/{work['opp']}"
    assert _link_to(html, "过期报价") == f"/opportunityview/plan/{work['opp']}"
    assert _link_to(html, "我的投诉单") == f"/serviceview/show/{work['ticket']}"
    assert _link_to(html, "上海甲公司", box="wb-churn") == f"/churnview/show/{work['churn']}"
    for text, box in (("今天回访", "wb-plans"), ("我的投诉单", "wb-tickets"), ("上海甲公司", "wb-churn")):
        page = am1.get(_link_to(html, text, box))
        assert page.status_code == 200 and text in page.get_data(as_text=True)


def test_director_sees_what_waits_for_assignment(browser, work, users):
    from app.extensions import db
    from app.models import Opportunity, Service

    director = browser("director")
    html = director.get("/").get_data(as_text=True)
    assert 'id="wb-unassigned"' in html and "待指派机会" in html
    assert 'id="wb-new-tickets"' in html and "我的投诉单" in html and "别人的单" in html
    assert "今天回访" not in html  # not the director's plan
    # a row opens the assignment page of that record, where the director assigns it
    opp = db.session.query(Opportunity).filter_by(title="待指派机会").one()
    assert _link_to(html, "待指派机会") == f"/opportunityview/assign?ids={opp.id}"
    ticket = db.session.query(Service).filter_by(title="别人的单").one()
    assert _link_to(html, "别人的单") == f"/serviceassignview/assign?ids={ticket.id}"
    for text in ("待指派机会", "别人的单"):
        page = director.get(_link_to(html, text))
        assert page.status_code == 200 and text in page.get_data(as_text=True)


def test_workbench_needs_login(browser):
    r = browser().get("/")
    assert r.status_code == 302 and "/login/" in r.headers["Location"]


def test_executive_can_still_open_the_workbench(browser, work):
    r = browser("exec").get("/?workbench=1")
    assert r.status_code == 200 and 'id="wb-tickets"' in r.get_data(as_text=True)
