"""The customer 360° page stays cheap: at most 10 SQL statements per request, login,
permission and menu queries included (issue 8), whichever tab is opened."""

import pytest
from sqlalchemy import event

from app.extensions import db
from tests import factories

MAX_STATEMENTS = 10


class Counter:
    def __init__(self):
        self.statements = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)


@pytest.fixture
def full_customer(ctx, users):
    """A customer with rows in every tab."""
    cid = factories.customer()
    for i in range(3):
        factories.contact(cid, name=f"联系人{i}")
        factories.order(cid)
        factories.opportunity("am1", customer_id=cid)
        factories.service(cid, "agent")
    factories.churn(cid, status="recovered")
    return cid


def _count(app, client, url):
    counter = Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200, response.status_code
    return counter.statements


@pytest.mark.parametrize("username", ["admin", "director", "am1"])
@pytest.mark.parametrize("tab", [None, "contacts", "orders", "churns", "audit"])
def test_360_page_needs_at_most_10_statements(app, browser, full_customer, username, tab):
    client = browser(username)
    url = f"/customerview/show/{full_customer}" + (f"?tab={tab}" if tab else "")
    client.get(url)  # warm: a first request may load per-process caches
    statements = _count(app, client, url)
    assert len(statements) <= MAX_STATEMENTS, "\n\n".join(statements)


@pytest.mark.parametrize("tab", ["contacts", "activities", "orders", "opportunities", "services", "churns", "audit"])
def test_each_tab_is_fetched_in_few_statements_and_keeps_the_scope(app, browser, full_customer, tab):
    client = browser("am1")
    url = f"/customerview/show/{full_customer}/tab/{tab}"
    client.get(url)
    statements = _count(app, client, url)
    assert len(statements) <= MAX_STATEMENTS, "\n\n".join(statements)
    other = factories.customer("am2")
    assert client.get(f"/customerview/show/{other}/tab/{tab}").status_code == 404  # like a missing one
    assert client.get(f"/customerview/show/{full_customer}/tab/nonsense").status_code == 404
