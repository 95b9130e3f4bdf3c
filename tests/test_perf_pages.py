"""Issue 8: the director's pages stay within 10 SQL statements per request (login, rights
and menu included) and do not issue more statements when there are more records — no
query per row, card, column or box. Counts only, never time (bench/run.py times them).
Plus the campaign ROI's split of a campaign's revenue (summary years + days of orders)
against a plain Python sum, for every kind of start date."""

import datetime as dt

import pytest
from sqlalchemy import event

from tests import factories as f

MAX_STATEMENTS = 10
TODAY = dt.date.today()
PAGES = {
    "workbench": "/",
    "cockpit": "/reports/cockpit/",
    "board": "/crm/pipeline/",
    **{name: f"/reports/{name}/" for name in ("contribution", "composition", "service", "churn", "funnel")},
    "campaign_roi": "/reports/campaign_roi/",
}


def seed(users, n):
    """n of everything the pages show, for am1's and am2's customers."""
    from app.extensions import db
    from app.models import Campaign

    campaign = Campaign(name=f"活动{n}", channel="online", start=TODAY - dt.timedelta(days=30), cost=100)
    db.session.add(campaign)
    db.session.commit()
    for i in range(n):
        for manager in ("am1", "am2"):
            cid = f.customer(manager)
            f.order(cid, ((1, 100 + i),), date=TODAY - dt.timedelta(days=40 * i))
            f.service(cid, status=("new", "assigned", "handled", "archived")[i % 4])
            f.churn(cid, status=("warning", "deferred")[i % 2])
            for status in ("unassigned", "assigned", "won", "lost"):
                f.opportunity(
                    status=status,
                    assignee_id=users[manager] if status != "unassigned" else None,
                    customer_id=cid,
                    campaign_id=campaign.id,
                    closed_on=dt.datetime.now() if status in ("won", "lost") else None,
                )


def statements(app, client, url):
    """Statements of one request (and its status code)."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return status, len(seen)


@pytest.mark.parametrize("username", ["director", "am1"])
@pytest.mark.parametrize("page", list(PAGES))
def test_statements_per_page_bounded_and_flat(app, ctx, users, browser, page, username):
    client = browser(username)
    seed(users, 1)
    client.get(PAGES[page])  # warm: dictionary and other caches, as in the bench
    status, few = statements(app, client, PAGES[page])
    assert status == 200
    assert few <= MAX_STATEMENTS
    seed(users, 4)
    status, many = statements(app, client, PAGES[page])
    assert status == 200
    assert many == few  # no statement per record


# ---------------------------------------------------------------- campaign ROI by start date


@pytest.mark.parametrize(
    "start",
    [
        None,  # every order
        dt.date(TODAY.year - 1, 1, 1),  # first half, on New Year: only summary years
        dt.date(TODAY.year - 1, 3, 15),  # first half: all years minus the days before it
        dt.date(TODAY.year - 1, 9, 20),  # second half: the days after it plus later years
        dt.date(TODAY.year - 1, 12, 31),
        TODAY,
    ],
)
def test_campaign_roi_revenue_from_start_on(ctx, users, api, start):
    from app.extensions import db
    from app.models import Campaign

    campaign = Campaign(name="测试活动", channel="online", start=start, cost=1000)
    db.session.add(campaign)
    db.session.commit()
    dates = [
        dt.date(TODAY.year - 2, 6, 1),
        dt.date(TODAY.year - 1, 1, 1),
        dt.date(TODAY.year - 1, 3, 14),
        dt.date(TODAY.year - 1, 3, 15),
        dt.date(TODAY.year - 1, 9, 19),
        dt.date(TODAY.year - 1, 9, 20),
        dt.date(TODAY.year - 1, 12, 31),
        dt.date(TODAY.year, 1, 1),
        TODAY,
    ]
    expected = {"am1": 0, "am2": 0}
    for k, manager in enumerate(("am1", "am2")):
        won = f.customer(manager)
        other = f.customer(manager)
        for i, date in enumerate(dates):
            amount = 10 * (i + 1) + k
            f.order(won, ((1, amount),), date=date)
            f.order(won, ((1, 7),), date=date, status="cancelled")
            f.order(other, ((1, 999),), date=date)
            expected[manager] += amount if start is None or date >= start else 0
        for _ in range(2):  # two won opportunities, one customer: counted once
            f.opportunity(status="won", assignee_id=users[manager], customer_id=won, campaign_id=campaign.id)
    for username, won, revenue in [("director", 4, expected["am1"] + expected["am2"]), ("am1", 2, expected["am1"])]:
        r = api(username).get("/api/v1/report/campaign_roi")
        assert r.status_code == 200
        row = next(row for row in r.json["sections"][0]["rows"] if row["campaign"] == "测试活动")
        assert (row["won"], row["revenue"]) == (won, pytest.approx(revenue))
