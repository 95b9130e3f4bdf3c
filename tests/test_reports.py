"""统计报表: every report's numbers against an independent computation in Python over the
rows, scope (AccountManager vs director), pages, Excel export, API, rights."""

import datetime as dt
import io
import re
from collections import Counter, defaultdict

import pytest
from openpyxl import load_workbook

from tests import factories as f

TODAY = dt.date.today()
THIS_YEAR = TODAY.year
REPORT_NAMES = ["contribution", "composition", "service", "churn", "funnel", "campaign_roi", "cockpit"]


@pytest.fixture
def data(ctx, users):
    """Customers of am1 (SH) and am2 (BJ) with orders, tickets, churn, opportunities, campaigns."""
    from app.extensions import db
    from app.models import Campaign, Churn

    ids = {"am1": [], "am2": []}
    specs = [
        ("am1", "key", "east", 5, 4, [(TODAY, "paid", 3, 100), (dt.date(THIS_YEAR - 1, 3, 5), "paid", 1, 250)]),
        ("am1", "normal", "east", 3, 2, [(TODAY, "cancelled", 9, 999), (dt.date(THIS_YEAR, 1, 2), "new", 2, 75.5)]),
        ("am1", "key", "north", 1, 5, [(dt.date(THIS_YEAR - 1, 12, 31), "shipped", 4, 40)]),
        ("am2", "strategic", "south", 4, 4, [(TODAY, "paid", 10, 300), (dt.date(THIS_YEAR - 1, 6, 1), "paid", 1, 10)]),
        ("am2", "key", "east", 2, 1, [(dt.date(THIS_YEAR, 1, 1), "paid", 1, 1234.56)]),
    ]
    for manager, level, region, sat, credit, orders in specs:
        cid = f.customer(manager, level=level, region=region, satisfaction=sat, credit=credit)
        ids[manager].append(cid)
        for date, status, qty, price in orders:
            f.order(cid, ((qty, price),), date=date, status=status)
    now = dt.datetime.now()
    old = now - dt.timedelta(days=10)
    for cid, type_, status, sat, created in [
        (ids["am1"][0], "consult", "archived", 4, now),
        (ids["am1"][0], "complaint", "new", None, old),
        (ids["am1"][1], "complaint", "assigned", None, now),
        (ids["am2"][0], "consult", "handled", None, old),
        (ids["am2"][1], "suggestion", "archived", 2, dt.datetime(THIS_YEAR - 1, 5, 5, 10)),
    ]:
        sid = f.service(cid, type=type_, status=status, satisfaction=sat)
        db.session.get(__import__("app.models", fromlist=["Service"]).Service, sid).created_on = created
    db.session.commit()
    for cid, manager, status, reason, lost_on in [
        (ids["am1"][2], "am1", "lost", "price", dt.date(THIS_YEAR, 1, 15)),
        (ids["am1"][1], "am1", "warning", None, None),
        (ids["am2"][1], "am2", "lost", "competitor", dt.date(THIS_YEAR - 1, 11, 3)),
        (ids["am2"][0], "am2", "deferred", None, None),
    ]:
        db.session.add(Churn(customer_id=cid, manager_id=users[manager], status=status, reason=reason, lost_on=lost_on))
    camp1 = Campaign(name="春季展会", channel="exhibition", start=dt.date(THIS_YEAR - 1, 1, 1), cost=500)
    camp2 = Campaign(name="线上推广", channel="online", start=TODAY, cost=0)
    db.session.add_all([camp1, camp2])
    db.session.commit()
    closed = dt.datetime(THIS_YEAR, 1, 10, 9)
    for creator, status, assignee, revenue, customer, campaign in [
        ("director", "unassigned", None, 1000, None, None),
        ("director", "assigned", "am1", 2000, None, camp1.id),
        ("director", "won", "am1", 3000, ids["am1"][0], camp1.id),
        ("director", "won", "am1", 3500, ids["am1"][0], camp1.id),  # same customer twice: counted once
        ("director", "lost", "am1", 400, None, None),
        ("director", "won", "am2", 5000, ids["am2"][0], camp1.id),
        ("am2", "lost", "am2", 600, None, camp2.id),
    ]:
        f.opportunity(
            creator,
            status=status,
            assignee_id=users[assignee] if assignee else None,
            expected_revenue=revenue,
            customer_id=customer,
            campaign_id=campaign,
            closed_on=closed if status in ("won", "lost") else None,
        )
    return ids


def report(api_user, name, **params):
    r = api_user.get(f"/api/v1/report/{name}", query_string=params)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.json
    body["by_key"] = {s["key"]: s for s in body["sections"]}
    return body


def _orders(manager_ids=None):
    from app.extensions import db
    from app.models import Customer, Order

    rows = db.session.query(Order, Customer).join(Customer, Customer.id == Order.customer_id).all()
    return [(o, c) for o, c in rows if manager_ids is None or c.manager_id in manager_ids]


# ---------------------------------------------------------------- numbers


def test_contribution_equals_python(api, data, users):
    expected = defaultdict(float)
    for order, _ in _orders():
        if order.status != "cancelled":
            expected[order.customer_id] += sum(line.quantity * float(line.price) for line in order.lines)
    body = report(api("director"), "contribution", top=100)
    got = {row["customer_id"]: row["amount"] for row in body["rows"]}
    assert got == pytest.approx(dict(expected))
    assert [r["amount"] for r in body["rows"]] == sorted(got.values(), reverse=True)
    assert body["summary"]["total"] == pytest.approx(sum(expected.values()))
    top2 = report(api("director"), "contribution", top=10, year=THIS_YEAR - 1)["rows"]
    last_year = defaultdict(float)
    for order, _ in _orders():
        if order.status != "cancelled" and order.date.year == THIS_YEAR - 1:
            last_year[order.customer_id] += float(order.amount)
    assert {r["customer_id"]: r["amount"] for r in top2} == pytest.approx(dict(last_year))


@pytest.mark.parametrize("by", ["level", "credit", "satisfaction", "region"])
def test_composition_equals_python(api, data, by):
    from app.extensions import db
    from app.models import Customer

    expected = Counter(getattr(c, by) for c in db.session.query(Customer))
    rows = report(api("director"), "composition", by=by)["rows"]
    assert {r["value"]: r["customers"] for r in rows} == dict(expected)
    assert sum(r["share"] for r in rows) == pytest.approx(1, abs=1e-3)


def test_service_equals_python(api, data):
    from app.extensions import db
    from app.models import Service

    counts, sats = Counter(), defaultdict(list)
    for s in db.session.query(Service):
        key = (s.created_on.strftime("%Y-%m"), s.type)
        counts[key] += 1
        if s.satisfaction is not None:
            sats[key].append(s.satisfaction)
    rows = report(api("director"), "service")["rows"]
    assert {(r["period"], r["type"]): r["tickets"] for r in rows} == dict(counts)
    for r in rows:
        key = (r["period"], r["type"])
        assert r["satisfaction"] == (pytest.approx(sum(sats[key]) / len(sats[key])) if sats[key] else None)
    yearly = report(api("director"), "service", period="year", type="complaint")["rows"]
    assert yearly == [
        {
            "period": str(THIS_YEAR),
            "type": "complaint",
            "type_label": "投诉",
            "tickets": 2,
            "satisfaction": None,
        }
    ]


@pytest.mark.parametrize("by", ["month", "reason", "manager"])
def test_churn_equals_python(api, data, users, by):
    from app.extensions import db
    from app.models import Churn

    lost = [c for c in db.session.query(Churn) if c.status == "lost"]
    key = {
        "month": lambda c: c.lost_on.strftime("%Y-%m"),
        "reason": lambda c: c.reason,
        "manager": lambda c: c.manager_id,
    }[by]
    rows = report(api("director"), "churn", by=by)["rows"]
    assert {r["key"]: r["customers"] for r in rows} == dict(Counter(key(c) for c in lost))


def test_funnel_equals_python(api, data, users):
    from app.extensions import db
    from app.models import Opportunity

    opps = db.session.query(Opportunity).all()
    body = report(api("director"), "funnel")
    status = {r["status"]: (r["opportunities"], r["expected_revenue"]) for r in body["by_key"]["status"]["rows"]}
    for code in ("unassigned", "assigned", "won", "lost"):
        mine = [o for o in opps if o.status == code]
        assert status[code] == (len(mine), pytest.approx(sum(float(o.expected_revenue) for o in mine)))
    stages = body["by_key"]["stages"]["rows"]
    assert [s["opportunities"] for s in stages] == [7, 6, 3]
    assert stages[2]["conversion"] == pytest.approx(3 / 6, abs=1e-4)
    managers = {r["manager_id"]: r for r in body["by_key"]["managers"]["rows"]}
    for name in ("am1", "am2"):
        theirs = [o for o in opps if o.assignee_id == users[name]]
        won = sum(o.status == "won" for o in theirs)
        lost = sum(o.status == "lost" for o in theirs)
        assert (managers[users[name]]["won"], managers[users[name]]["lost"]) == (won, lost)
        assert managers[users[name]]["win_rate"] == pytest.approx(won / (won + lost), abs=1e-4)


def test_campaign_roi_equals_python(api, data):
    from app.extensions import db
    from app.models import Campaign, Opportunity

    body = report(api("director"), "campaign_roi")
    by_name = {r["campaign"]: r for r in body["rows"]}
    for camp in db.session.query(Campaign):
        customers = {
            o.customer_id
            for o in db.session.query(Opportunity)
            if o.campaign_id == camp.id and o.status == "won" and o.customer_id
        }
        revenue = sum(
            float(o.amount)
            for o, c in _orders()
            if c.id in customers and o.status != "cancelled" and (camp.start is None or o.date >= camp.start)
        )
        row = by_name[camp.name]
        assert row["revenue"] == pytest.approx(revenue)
        assert row["roi"] == (pytest.approx(revenue / float(camp.cost), abs=1e-4) if camp.cost else None)
    assert by_name["春季展会"]["won"] == 3


def test_cockpit_equals_python(api, data):
    body = report(api("director"), "cockpit")
    summary, sections = body["summary"], body["by_key"]
    valid = [(o, c) for o, c in _orders() if o.status != "cancelled"]
    month_total = sum(float(o.amount) for o, _ in valid if (o.date.year, o.date.month) == (TODAY.year, TODAY.month))
    ytd = sum(float(o.amount) for o, _ in valid if o.date.year == THIS_YEAR and o.date <= TODAY)
    last_ytd = sum(float(o.amount) for o, _ in valid if o.date.year == THIS_YEAR - 1 and o.date.month <= TODAY.month)
    assert summary["revenue_month"] == pytest.approx(month_total)
    assert summary["revenue_ytd"] == pytest.approx(ytd)
    assert summary["revenue_ytd_last_year"] == pytest.approx(last_ytd)
    trend = {r["month"]: r["last_year"] for r in sections["revenue"]["rows"]}
    assert sum(trend.values()) == pytest.approx(sum(float(o.amount) for o, _ in valid if o.date.year == THIS_YEAR - 1))
    assert summary["open_tickets"] == 3 and summary["overdue_tickets"] == 2
    assert {r["type"]: (r["open"], r["overdue"]) for r in sections["tickets"]["rows"]} == {
        "complaint": (2, 1),
        "consult": (1, 1),
    }
    assert summary["churn_warnings"] == 2
    won_lost = {r["status"]: r["opportunities"] for r in sections["won_lost"]["rows"]}
    assert won_lost == {"won": 3, "lost": 2}
    top = sections["top_customers"]["rows"]
    amounts = defaultdict(float)
    for o, c in valid:
        if o.date.year == THIS_YEAR:
            amounts[c.id] += float(o.amount)
    assert {r["customer_id"]: r["amount"] for r in top} == pytest.approx(dict(amounts))
    assert summary["new_customers_month"] == 5


# ---------------------------------------------------------------- scope


def _sum_by(rows, key, value):
    out = defaultdict(float)
    for r in rows:
        out[r[key]] += r[value] or 0
    return dict(out)


@pytest.mark.parametrize(
    "name, params, key, value",
    [
        ("contribution", {"top": 100}, "customer_id", "amount"),
        ("composition", {"by": "level"}, "value", "customers"),
        ("composition", {"by": "region"}, "value", "customers"),
        ("service", {}, "type", "tickets"),
        ("churn", {"by": "reason"}, "key", "customers"),
    ],
)
def test_scope_am_and_director_differ_by_other_managers_data(api, data, users, name, params, key, value):
    director = _sum_by(report(api("director"), name, **params)["rows"], key, value)
    am1 = _sum_by(report(api("am1"), name, **params)["rows"], key, value)
    am2 = _sum_by(report(api("am2"), name, **params)["rows"], key, value)
    assert am1 and am2 and am1 != director
    for k in director:
        assert director[k] == pytest.approx(am1.get(k, 0) + am2.get(k, 0))
    # the manager filter gives the director exactly am1's view
    filtered = _sum_by(report(api("director"), name, manager_id=users["am1"], **params)["rows"], key, value)
    assert filtered == pytest.approx(am1)


def test_scope_contribution_am_sees_only_own_customers(api, data):
    rows = report(api("am1"), "contribution", top=100)["rows"]
    assert {r["customer_id"] for r in rows} <= set(data["am1"])
    expected = sum(float(o.amount) for o, c in _orders() if c.id in data["am1"] and o.status != "cancelled")
    assert sum(r["amount"] for r in rows) == pytest.approx(expected)


def test_scope_cockpit_and_funnel(api, data):
    director, am1 = report(api("director"), "cockpit")["summary"], report(api("am1"), "cockpit")["summary"]
    am2 = report(api("am2"), "cockpit")["summary"]
    for k in ("revenue_ytd", "revenue_month", "churn_warnings"):
        assert director[k] == pytest.approx(am1[k] + am2[k])
    assert am1["churn_warnings"] == 1
    status = {r["status"]: r["opportunities"] for r in report(api("am1"), "funnel")["by_key"]["status"]["rows"]}
    assert status == {"unassigned": 0, "assigned": 1, "won": 2, "lost": 1}


def test_branch_filter(api, data, users, ctx):
    from tests.factories import user

    sh = user("am1").branch_id
    rows = report(api("director"), "composition", by="level", branch_id=sh)["rows"]
    assert sum(r["customers"] for r in rows) == 3


# ---------------------------------------------------------------- pages, export, API, rights


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_pages_render_chart_without_external_urls(browser, data, name):
    url = "/reports/cockpit/" if name == "cockpit" else f"/reports/{name}/"
    r = browser("director").get(url)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'class="crm-chart"' in html
    assert "/reports/plotly.min.js?v=" in html
    assert re.search(r'<script src="/reports/plotly.min.js[^"]*" nonce="[^"]+"', html)
    assert "Export Excel" in html or "导出" in html
    external = [u for u in re.findall(r"https?://[^\s\"'<>)]+", html) if not u.startswith("http://localhost")]
    assert external == []
    assert (
        "/customerview/" in html
        or "/serviceview/" in html
        or "/churnview/" in html
        or "/opportunityview/" in html
        or "/campaignview/" in html
    )


def test_drill_through_link_opens_filtered_list(browser, data):
    b = browser("director")
    html = b.get("/reports/composition/?by=level").get_data(as_text=True)
    assert "/customerview/list/?_flt_3_level=key" in html
    listing = b.get("/customerview/list/?_flt_3_level=key").get_data(as_text=True)
    assert listing.count("/customerview/show/") >= 3


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_excel_export_holds_the_same_numbers(browser, api, data, name):
    params = {"by": "region"} if name == "composition" else {}
    r = browser("director").get(f"/reports/{name}/export", query_string=params)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(r.data), read_only=True)
    body = report(api("director"), name, **params)
    assert len(wb.sheetnames) == len(body["sections"])
    for ws, section in zip(wb.worksheets, body["sections"], strict=True):
        sheet = list(ws.iter_rows(values_only=True))
        assert len(sheet) == len(section["rows"]) + 1
        keys = section["columns"]
        for xl_row, row in zip(sheet[1:], section["rows"], strict=True):
            xl_row = list(xl_row) + [None] * (len(keys) - len(xl_row))  # trailing blanks are dropped
            for cell, key in zip(xl_row, keys, strict=True):
                if isinstance(row[key], int | float):
                    assert cell == pytest.approx(row[key])


def test_api_unknown_report_404_and_rights(api, browser, data):
    assert api("director").get("/api/v1/report/nope").status_code == 404
    assert api("agent").get("/api/v1/report/contribution").status_code == 403
    assert api("exec").get("/api/v1/report/cockpit").status_code == 200
    r = browser("agent").get("/reports/contribution/")
    assert r.status_code in (302, 403)


def test_executive_lands_on_cockpit(browser):
    r = browser("exec").get("/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/reports/cockpit/")


def test_plotly_js_served_locally_with_long_cache(browser):
    r = browser("director").get("/reports/plotly.min.js?v=1")
    assert r.status_code == 200
    assert "max-age=31536000" in r.headers["Cache-Control"]
    assert r.data[:200].lstrip().startswith(b"/**") or b"plotly" in r.data[:500].lower()


def test_english_labels(browser, data):
    b = browser("director")
    html = b.get("/reports/contribution/?_l_=en").get_data(as_text=True)
    assert "Customer contribution" in html and "¥" in html


DRILL_PARAMS = [("contribution", {}), ("service", {}), ("funnel", {}), ("campaign_roi", {}), ("cockpit", {})]
DRILL_PARAMS += [("composition", {"by": by}) for by in ("level", "credit", "satisfaction", "region")]
DRILL_PARAMS += [("churn", {"by": by}) for by in ("month", "reason")]


@pytest.mark.parametrize(("name", "params"), DRILL_PARAMS)
def test_every_drill_through_link_uses_exact_list_filters(app, browser, data, users, name, params):
    """Each bar's link names filters the current list view has, at FAB's index of an exact
    or range filter (never a contains/starts-with match), and opens with status 200."""
    from urllib.parse import parse_qsl, urlsplit

    from app.extensions import db
    from app.models import CrmUser
    from app.reports import run

    exact = {"FilterEqual", "FilterNotEqual", "FilterGreater", "FilterSmaller", "FilterRelationOneToManyEqual"}
    views = {v.route_base.strip("/"): v for v in app.appbuilder.baseviews if getattr(v, "route_base", None)}
    director = browser("director")
    with app.test_request_context():
        _m, _f, sections, _s = run(name, params, db.session.get(CrmUser, users["director"]))
    links = {row["_link"] for section in sections for row in section.rows if row.get("_link")}
    assert links, "no drill-through link"
    for link in links:
        parts = urlsplit(link)
        view = views[parts.path.strip("/").split("/")[0]]
        searchable = view.datamodel.get_filters(view.search_columns)._search_filters
        for key, _value in parse_qsl(parts.query):
            if key.startswith("_flt_"):
                index, column = key.removeprefix("_flt_").split("_", 1)
                assert column in searchable, link
                assert type(searchable[column][int(index)]).__name__ in exact, link
        assert director.get(link).status_code == 200, link


def test_grouped_bars_keep_the_rows_order_on_the_category_axis(ctx):
    """A month missing from the first trace still sits in its place, not at the end."""
    from app.reports.base import Chart, Col, Section
    from app.reports.charts import figure

    rows = [
        {"period": "2026-01", "type": "complaint", "tickets": 1},
        {"period": "2026-02", "type": "advice", "tickets": 2},
        {"period": "2026-03", "type": "complaint", "tickets": 3},
    ]
    columns = [Col("period", "period"), Col("type", "type"), Col("tickets", "tickets", "int")]
    section = Section("s", "s", columns, rows, Chart("bar", x="period", y=["tickets"], series="type"))
    xaxis = figure(section).layout.xaxis
    assert xaxis.categoryorder == "array"
    assert list(xaxis.categoryarray) == ["2026-01", "2026-02", "2026-03"]
