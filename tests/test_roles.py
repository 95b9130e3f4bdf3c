"""Role × screen matrix: for each of the five roles, each module's list / add / edit /
delete answers as the default rights of app/services/roles.py say — a working screen
where the role holds the right, a refusal (login redirect, 403, 404) where it does not."""

import datetime as dt
import itertools

import pytest
from sqlalchemy import delete

from app.extensions import db
from app.models import Activity, AuditLog, Branch, Campaign, Churn, Dictionary, Stock
from app.services.roles import DEFAULT_RIGHTS, ROLE_NAMES, SELF_SERVICE, default_permissions
from tests import factories as f

USER_OF_ROLE = {
    "Admin": "admin",
    "SalesDirector": "director",
    "AccountManager": "am1",
    "ServiceAgent": "agent",
    "Executive": "exec",
}
ACTIONS = {"list": "can_list", "add": "can_add", "edit": "can_edit", "delete": "can_delete"}
_n = itertools.count(1)


def _owner(username):
    """The account manager owning the test customer: the user itself if it is one."""
    return username if username.startswith("am") else "am1"


def _creator(username, may_add):
    return username if may_add else "director"


# view-menu → (url of its screens, maker(username, may_add) → record id)
SCREENS = {
    "Customer": ("/customerview", lambda u, _a: f.customer(_owner(u))),
    "Contact": ("/contactview", lambda u, _a: f.contact(f.customer(_owner(u)))),
    "Activity": ("/activityview", lambda u, _a: _activity(f.customer(_owner(u)))),
    "Order": ("/orderview", lambda u, _a: f.order(f.customer(_owner(u)), status="new")),
    "Churn": ("/churnview", lambda u, _a: _churn(f.customer(_owner(u)))),
    "Opportunity": ("/opportunityview", lambda u, a: f.opportunity(_creator(u, a))),
    "Campaign": ("/campaignview", lambda _u, _a: _add(Campaign(name=f"矩阵活动{next(_n)}"))),
    "Service": ("/serviceview", lambda u, _a: f.service(f.customer(_owner(u)), creator="agent")),
    "Product": ("/productview", lambda _u, _a: f.product()),
    "Stock": ("/stockview", lambda _u, _a: _add(Stock(product_id=f.product(), warehouse="上海仓", quantity=5))),
    "Dictionary": ("/dictionaryview", lambda _u, _a: _dictionary_item()),
    "Branch": ("/branchview", lambda _u, _a: _add(Branch(name=f"矩阵分公司{next(_n)}", code=f"MX{next(_n)}"))),
    "AuditLog": ("/auditlogview", lambda u, _a: _audit_row(u)),
}


def _add(record):
    db.session.add(record)
    db.session.commit()
    return record.id


def _activity(customer_id):
    return _add(Activity(customer_id=customer_id, date=dt.date.today(), title="电话回访", type="phone"))


def _churn(customer_id):
    customer = db.session.get(f.Customer, customer_id)
    return _add(Churn(customer_id=customer_id, manager_id=customer.manager_id, status="warning"))


def _dictionary_item():
    return _add(Dictionary(type="region", value=f"matrix{next(_n)}", name=f"矩阵地区{next(_n)}", editable=True))


def _audit_row(_username):
    f.customer("am1")
    return db.session.execute(db.select(AuditLog.id).order_by(AuditLog.id.desc())).scalars().first()


@pytest.fixture
def master_data_cleanup(ctx):
    """Branches and dictionary items outlive the per-test cleanup: remove the ones made here."""
    yield
    db.session.rollback()
    db.session.execute(delete(Dictionary).where(Dictionary.value.like("matrix%")))
    db.session.execute(delete(Branch).where(Branch.code.like("MX%")))
    db.session.commit()


def expected(app, view, role, menu):
    """action → True when the role may use it, False when not, None where the module has
    no such screen (e.g. churn records change only through their workflow steps).
    Admin may use every screen there is, the other roles what DEFAULT_RIGHTS give them."""
    rights = DEFAULT_RIGHTS.get(role, {}).get(menu, ())
    answers = {}
    for action, permission in ACTIONS.items():
        if f"{view.endpoint}.{action}" not in app.view_functions:
            answers[action] = None
        else:
            answers[action] = role == "Admin" or permission in rights
    return answers


def refused(response):
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def outcome(client, base, pk, model):
    """What the user met on each screen: True = it worked, False = refused, None = no such page."""
    answers = {}
    for action, url in (("list", f"{base}/list/"), ("add", f"{base}/add"), ("edit", f"{base}/edit/{pk}")):
        r = client.get(url)
        assert r.status_code in (200, 404) or refused(r), (url, r.status_code, r.headers.get("Location"))
        answers[action] = {200: True, 404: None}.get(r.status_code, False)
    r = client.post(f"{base}/delete/{pk}")
    db.session.expire_all()
    gone = db.session.get(model, pk) is None
    assert gone or r.status_code in (302, 404) or refused(r), (r.status_code, r.headers.get("Location"))
    answers["delete"] = True if gone else (None if r.status_code == 404 else False)
    return answers


@pytest.mark.parametrize("menu", list(SCREENS))
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_screens_answer_as_the_rights_say(app, browser, master_data_cleanup, role, menu):
    base, make = SCREENS[menu]
    view = next(v for v in app.appbuilder.baseviews if getattr(v, "route_base", None) == base)
    rights = expected(app, view, role, menu)
    username = USER_OF_ROLE[role]
    pk = make(username, bool(rights["add"]))
    assert outcome(browser(username), base, pk, view.datamodel.obj) == rights


@pytest.mark.parametrize("role", [r for r in ROLE_NAMES if r != "Admin"])
def test_roles_hold_exactly_their_default_rights(app, ctx, role):
    sm = app.appbuilder.sm
    held = {(pv.permission.name, pv.view_menu.name) for pv in sm.find_role(role).permissions}
    default = {(pv.permission.name, pv.view_menu.name) for pv in default_permissions(sm, DEFAULT_RIGHTS[role])}
    assert held == default
    assert set(SELF_SERVICE) <= held


def test_admin_holds_every_permission(app, ctx):
    sm = app.appbuilder.sm
    every = {pv.id for pv in sm.session.query(sm.permissionview_model)}
    assert {pv.id for pv in sm.find_role("Admin").permissions} == every


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_reports_follow_the_report_right(browser, role):
    r = browser(USER_OF_ROLE[role]).get("/reports/cockpit/")
    may = role == "Admin" or "can_list" in DEFAULT_RIGHTS[role].get("Report", ())
    assert (r.status_code == 200) == may and (may or refused(r))
