"""`crm demo`: one user per role with working passwords, customers with everything hanging
off them in every status; a second run adds a separate batch and duplicates nothing."""

import datetime as dt
import re

import pytest
from sqlalchemy import delete, distinct, func, select, text

from app.extensions import db
from app.models import (
    Branch,
    Churn,
    ChurnMeasure,
    CrmUser,
    Customer,
    Opportunity,
    Order,
    OrderLine,
    Plan,
    Product,
    Service,
    ServiceRound,
    campaign_customer,
)
from app.models.sequence import next_number
from app.security import password_policy, scope_clause
from app.services.demo import DEMO_USERS
from tests.conftest import BUSINESS_TABLES

DEMO_NAMES = [u[0] for u in DEMO_USERS]
USER_LINE = re.compile(r"演示用户 / demo user: (\S+)\s+(\S+)\s+(.+)")


@pytest.fixture
def demo(app, ctx):
    """Runs `crm demo`; afterwards removes the demo users and branches again so that the
    other tests see the fixture's users only."""
    runner = app.test_cli_runner()

    def run(customers=50):
        result = runner.invoke(args=["crm", "demo", "--customers", str(customers)])
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    branches = set(db.session.execute(select(Branch.id)).scalars())
    yield run
    db.session.rollback()
    for table in BUSINESS_TABLES:
        db.session.execute(text(f"DELETE FROM {table}"))
    ids = list(db.session.execute(select(CrmUser.id).where(CrmUser.username.in_(DEMO_NAMES))).scalars())
    db.session.execute(text("DELETE FROM ab_user_role WHERE user_id IN (%s)" % ",".join(map(str, ids or [0]))))
    db.session.execute(delete(CrmUser).where(CrmUser.id.in_(ids or [0])))
    new_branches = select(Branch.id).where(Branch.id.not_in(branches))
    db.session.execute(delete(Branch).where(Branch.id.in_(new_branches), Branch.parent_id.in_(new_branches)))
    db.session.execute(delete(Branch).where(Branch.id.in_(new_branches)))
    db.session.commit()


def printed_users(output):
    return {m.group(1): (m.group(2), m.group(3).strip()) for m in map(USER_LINE.match, output.splitlines()) if m}


def count(stmt):
    return db.session.execute(stmt).scalar_one()


def test_demo_prints_one_user_per_role_whose_password_works(demo, browser):
    users = printed_users(demo())
    assert set(users) == set(DEMO_NAMES)
    assert {role for role, _pw in users.values()} == {
        "SalesDirector",
        "AccountManager",
        "ServiceAgent",
        "Executive",
    }
    for username, (_role, password) in users.items():
        password_policy(password, username)  # raises when weak
    client = browser()
    client.login("demo_am1", users["demo_am1"][1])
    page = client.get("/customerview/list/")
    assert page.status_code == 200
    am1 = db.session.execute(select(CrmUser).where(CrmUser.username == "demo_am1")).scalar_one()
    own = count(select(func.count(Customer.id)).where(scope_clause(Customer, am1)))
    assert 0 < own < 50  # an account manager sees their own customers, not everybody's


def test_demo_fills_every_module_in_every_status(demo):
    demo(60)
    assert count(select(func.count(Customer.id))) == 60
    assert count(select(func.count(distinct(Customer.name_norm)))) == 60
    assert count(select(func.count(Customer.id)).where(~Customer.no.like("KH________0%"))) == 0
    statuses = {
        Opportunity: {"unassigned", "assigned", "won", "lost"},
        Service: {"new", "assigned", "handled", "archived"},
        Churn: {"warning", "deferred", "lost", "recovered"},
        Customer: {"normal", "warning", "lost"},
    }
    for model, expected in statuses.items():
        assert set(db.session.execute(select(model.status).distinct()).scalars()) == expected, model
    # workflow traces: plans on worked opportunities, rounds on handled tickets, measures on deferred churn
    worked = select(Plan.opportunity_id).distinct()
    assert count(select(func.count()).where(Opportunity.status == "unassigned", Opportunity.id.in_(worked))) == 0
    assert count(select(func.count()).where(Opportunity.status == "won", Opportunity.id.not_in(worked))) == 0
    rounds = select(ServiceRound.service_id).distinct()
    assert (
        count(select(func.count()).where(Service.status.in_(("handled", "archived")), Service.id.not_in(rounds))) == 0
    )
    assert count(select(func.count()).where(Service.status == "archived", Service.satisfaction < 3)) == 0
    measured = select(ChurnMeasure.churn_id).distinct()
    assert count(select(func.count()).where(Churn.status == "deferred", Churn.id.not_in(measured))) == 0
    # two years of orders whose amount is the sum of their lines
    first, last = db.session.execute(select(func.min(Order.date), func.max(Order.date))).one()
    assert (last - first).days > 500 and last <= dt.date.today()
    line_total = select(func.sum(OrderLine.quantity * OrderLine.price)).where(OrderLine.order_id == Order.id)
    mismatched = select(func.count()).where(func.abs(Order.amount - line_total.scalar_subquery()) > 0.01)
    assert count(mismatched) == 0
    assert count(select(func.count()).select_from(campaign_customer)) > 0
    assert count(select(func.count(Product.id))) > 10


def test_second_run_adds_a_separate_batch_and_duplicates_nothing(demo):
    demo(30)
    users_before = count(select(func.count(CrmUser.id)))
    branches_before = count(select(func.count(Branch.id)))
    products_before = count(select(func.count(Product.id)))
    output = demo(30)
    users = printed_users(output)
    assert set(users) == set(DEMO_NAMES) and all("已存在" in pw for _r, pw in users.values())
    assert count(select(func.count(CrmUser.id))) == users_before
    assert count(select(func.count(Branch.id))) == branches_before
    assert count(select(func.count(Product.id))) == products_before
    assert count(select(func.count(Customer.id))) == 60
    assert count(select(func.count(distinct(Customer.name_norm)))) == 60
    assert count(select(func.count(distinct(Customer.no)))) == 60


def test_numbers_after_the_demo_continue_its_counters(demo):
    demo(30)
    day, newest = db.session.execute(
        select(Customer.created_on, Customer.no).order_by(Customer.no.desc()).limit(1)
    ).one()
    following = next_number(db.session, "KH", day=day.date())
    assert following > newest and following[:10] == newest[:10]
    db.session.rollback()
