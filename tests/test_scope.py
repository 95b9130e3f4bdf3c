"""Data scope (SPEC §1): an account manager reaches their own customers only — on the list,
the show / edit / delete screens, multi-row actions, pickers and the API; a record out of
scope answers 404 like a missing one and stays unchanged. Directors see everything; a role
given datascope_branch sees its branch."""

import pytest
from sqlalchemy import delete

from app.extensions import db
from app.models import Branch, Contact, Customer, Opportunity, Order, Service
from app.services.roles import DEFAULT_RIGHTS, default_permissions
from tests import factories as f
from tests.conftest import PASSWORD


@pytest.fixture
def two(ctx):
    """One customer of am1 (上海) and one of am2 (北京)."""
    return {
        "mine": f.customer("am1", name="上海自家客户有限公司", phone="021-11112222"),
        "theirs": f.customer("am2", name="北京别家客户有限公司", phone="010-33334444"),
    }


def phone_of(pk):
    db.session.expire_all()
    customer = db.session.get(Customer, pk)
    return customer.phone if customer else None


# ---------------------------------------------------------------- screens


def test_list_shows_own_customers_only(browser, two):
    html = browser("am1").get("/customerview/list/").get_data(as_text=True)
    assert "上海自家客户有限公司" in html and "北京别家客户有限公司" not in html


@pytest.mark.parametrize("url", ["/customerview/show/{pk}", "/customerview/edit/{pk}"])
def test_show_and_edit_of_anothers_customer_answer_404(browser, two, url):
    b = browser("am1")
    assert b.get(url.format(pk=two["mine"])).status_code == 200
    assert b.get(url.format(pk=two["theirs"])).status_code == 404
    assert b.get(url.format(pk=999_999)).status_code == 404  # exactly like a missing one


def test_posting_an_edit_of_anothers_customer_changes_nothing(browser, two):
    r = browser("am1").post(
        f"/customerview/edit/{two['theirs']}", data={"name": "改名", "phone": "999", "satisfaction": 3, "credit": 3}
    )
    assert r.status_code == 404
    assert phone_of(two["theirs"]) == "010-33334444"


def test_delete_of_anothers_customer_answers_404(browser, two):
    r = browser("am1").post(f"/customerview/delete/{two['theirs']}")
    assert r.status_code == 404
    assert phone_of(two["theirs"]) is not None


def test_multi_row_action_cannot_reach_anothers_customer(browser, two):
    b = browser("am1")
    for rows in ([two["theirs"]], [two["mine"], two["theirs"]]):
        r = b.post("/customerview/action_post", data={"action": "transfer", "rowid": [str(pk) for pk in rows]})
        assert r.status_code == 404
    admin = browser("admin").post("/customerview/action_post", data={"action": "transfer", "rowid": [two["theirs"]]})
    assert admin.status_code == 302  # the same action in scope goes on to the transfer page
    db.session.expire_all()
    assert db.session.get(Customer, two["theirs"]).manager_id == f.user("am2").id


def test_picker_offers_own_customers_only(browser, two):
    found = browser("am1").get("/crm/lookup/customer?q=客户").json["results"]
    assert [row["id"] for row in found] == [two["mine"]]


@pytest.mark.parametrize(
    "base, make",
    [
        ("/contactview", lambda c: f.contact(c)),
        ("/orderview", lambda c: f.order(c, status="new")),
        ("/serviceview", lambda c: f.service(c, creator="agent")),
    ],
)
def test_records_under_anothers_customer_are_out_of_scope(browser, two, base, make):
    mine, theirs = make(two["mine"]), make(two["theirs"])
    b = browser("am1")
    assert b.get(f"{base}/show/{mine}").status_code == 200
    assert b.get(f"{base}/show/{theirs}").status_code == 404


def test_opportunities_of_others_are_out_of_scope(browser, ctx):
    own = f.opportunity("am1")
    directors = f.opportunity("director")
    b = browser("am1")
    assert b.get(f"/opportunityview/show/{own}").status_code == 200
    assert b.get(f"/opportunityview/show/{directors}").status_code == 404


# ---------------------------------------------------------------- API


def test_api_hides_anothers_customer(api, two):
    am1 = api("am1")
    assert [row["id"] for row in am1.get("/api/v1/customer/").json["result"]] == [two["mine"]]
    assert am1.get(f"/api/v1/customer/{two['mine']}").status_code == 200
    assert am1.get(f"/api/v1/customer/{two['theirs']}").status_code == 404
    assert am1.put(f"/api/v1/customer/{two['theirs']}", json={"phone": "999"}).status_code == 404
    assert am1.delete(f"/api/v1/customer/{two['theirs']}").status_code == 404
    assert phone_of(two["theirs"]) == "010-33334444"


@pytest.mark.parametrize("resource, model", [("contact", Contact), ("order", Order), ("service", Service)])
def test_api_hides_records_under_anothers_customer(api, two, resource, model):
    make = {Contact: f.contact, Order: lambda c: f.order(c, status="new"), Service: lambda c: f.service(c)}[model]
    theirs = make(two["theirs"])
    assert api("am1").get(f"/api/v1/{resource}/{theirs}").status_code == 404
    assert api("director").get(f"/api/v1/{resource}/{theirs}").status_code == 200


# ---------------------------------------------------------------- wider scopes


def test_director_sees_both(browser, api, two):
    html = browser("director").get("/customerview/list/").get_data(as_text=True)
    assert "上海自家客户有限公司" in html and "北京别家客户有限公司" in html
    for pk in two.values():
        assert browser("director").get(f"/customerview/show/{pk}").status_code == 200
        assert api("director").get(f"/api/v1/customer/{pk}").status_code == 200
    assert api("director").get("/api/v1/customer/").json["count"] == 2


@pytest.fixture
def branch_lead(app, ctx):
    """lead_sh: an account manager of 上海分公司 whose role also has datascope_branch on Customer."""
    sm = app.appbuilder.sm
    role = sm.add_role("BranchLeadTest")
    role.permissions = default_permissions(sm, DEFAULT_RIGHTS["AccountManager"]) + [
        sm.find_permission_view_menu("datascope_branch", "Customer")
    ]
    user = sm.add_user("lead_sh", "主管", "分", "lead_sh@example.com", role, PASSWORD)
    user.branch_id = db.session.execute(db.select(Branch.id).where(Branch.code == "SH")).scalar_one()
    db.session.commit()
    yield "lead_sh"
    db.session.rollback()
    db.session.execute(delete(Opportunity).where(Opportunity.created_by_id == user.id))
    sm.session.delete(sm.find_user(username="lead_sh"))
    sm.session.delete(sm.find_role("BranchLeadTest"))
    sm.session.commit()


def test_branch_scope_sees_its_branch_only(browser, api, two, branch_lead):
    colleague = f.customer("agent", name="上海同事客户有限公司")  # another 上海 user's customer
    b = browser(branch_lead)
    html = b.get("/customerview/list/").get_data(as_text=True)
    assert "上海自家客户有限公司" in html and "上海同事客户有限公司" in html
    assert "北京别家客户有限公司" not in html
    assert b.get(f"/customerview/show/{colleague}").status_code == 200
    assert b.get(f"/customerview/show/{two['theirs']}").status_code == 404
    ids = {row["id"] for row in api(branch_lead).get("/api/v1/customer/").json["result"]}
    assert ids == {two["mine"], colleague}
