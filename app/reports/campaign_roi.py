"""营销活动 ROI: revenue of won opportunities' customers' orders since the campaign start / cost."""

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, true

from app.extensions import db
from app.models import (
    REVENUE_STATUSES,
    Campaign,
    Customer,
    Opportunity,
    Order,
    RevenueCustomerYear,
    dict_items,
    dict_label,
)
from app.models.summary import ALL_YEARS
from app.reports.base import Chart, Col, OwnFilter, Section, money
from app.security import scope_clause

TITLE = _l("Campaign ROI")
LIMIT = 50  # most recent campaigns charted
OWN = {
    "channel": OwnFilter(_l("Channel"), lambda: [("", "")] + dict_items("campaign_channel", db.session), default=""),
}


def _year_part(start):
    """The days of the campaign's start year that the orders must give: (first, last, sign).
    Starting in the second half: the days from the start on are added (later years come from
    the summary). In the first half: the days before it are subtracted from the all-years
    total (earlier years come from the summary). Either way at most half a year of orders."""
    if start.month >= 7:
        return start, dt.date(start.year, 12, 31), 1
    return dt.date(start.year, 1, 1), start - dt.timedelta(days=1), -1


def won_and_revenue(campaigns, f, user):
    """{campaign id: (won opportunities, revenue of the orders of their customers from the
    campaign's start on)}, one statement. Revenue counts each (campaign, customer) once,
    with two correlated subqueries per pair, each one index probe: the whole years from
    revenue_customer_year (customer_id, year) and the start year's days (see _year_part)
    from the orders (customer_id, date). The customer must be in the user's data scope and
    the owner filters; the won opportunities, in the opportunity scope and filters."""
    pairs = (
        select(Opportunity.campaign_id, Opportunity.customer_id, func.count().label("won"))
        .where(
            Opportunity.status == "won",
            Opportunity.customer_id.is_not(None),
            Opportunity.campaign_id.in_([c.id for c in campaigns]),
            scope_clause(Opportunity, user),
            *f.owner(Opportunity.branch_id, Opportunity.assignee_id),
        )
        .group_by(Opportunity.campaign_id, Opportunity.customer_id)
        .subquery("won_pairs")
    )

    dated = {c.id: _year_part(c.start) for c in campaigns if c.start}
    forward = [cid for cid, (_, _, sign) in dated.items() if sign == 1]
    backward = [cid for cid, (_, _, sign) in dated.items() if sign == -1]
    undated = [c.id for c in campaigns if not c.start]
    by_id = pairs.c.campaign_id  # per-campaign values: CASE campaign_id WHEN … (at most LIMIT)
    t = RevenueCustomerYear
    whens = [(and_(by_id.in_(undated + backward), t.year == ALL_YEARS), 1)]
    if dated:
        start_year = case({cid: d[0].year for cid, d in dated.items()}, value=by_id)
        whens += [
            (and_(by_id.in_(forward), t.year > start_year), 1),
            (and_(by_id.in_(backward), t.year != ALL_YEARS, t.year < start_year), -1),
        ]
    year_sign = case(*whens, else_=0)
    years = (
        select(func.coalesce(func.sum(t.amount * year_sign), 0))
        .where(t.customer_id == pairs.c.customer_id)
        .scalar_subquery()
    )
    amount = years
    if dated:
        days = (
            select(func.coalesce(func.sum(Order.amount), 0))
            .where(
                Order.customer_id == pairs.c.customer_id,
                Order.status.in_(REVENUE_STATUSES),
                Order.date >= case({cid: d[0] for cid, d in dated.items()}, value=by_id),
                Order.date <= case({cid: d[1] for cid, d in dated.items()}, value=by_id),
            )
            .scalar_subquery()
        )
        amount = years + case({cid: d[2] for cid, d in dated.items()}, value=by_id, else_=0) * days
    in_scope = [scope_clause(Customer, user), *f.owner(Customer.branch_id, Customer.manager_id)]
    if any(clause is not true() for clause in in_scope):
        amount = case((pairs.c.customer_id.in_(select(Customer.id).where(*in_scope)), amount), else_=0)
    per_pair = select(pairs.c.campaign_id, pairs.c.won, amount.label("amount")).subquery()
    stmt = select(per_pair.c.campaign_id, func.sum(per_pair.c.won), func.sum(per_pair.c.amount)).group_by(
        per_pair.c.campaign_id
    )
    return {cid: (won, revenue) for cid, won, revenue in db.session.execute(stmt)}


def build(f, user):
    campaign_where = [*f.dates(Campaign.start)]
    if f.own["channel"]:
        campaign_where.append(Campaign.channel == f.own["channel"])
    stmt = select(Campaign).where(*campaign_where).order_by(Campaign.start.desc(), Campaign.id).limit(LIMIT)
    campaigns = db.session.execute(stmt).scalars().all()
    found = won_and_revenue(campaigns, f, user) if campaigns else {}
    rows = []
    for c in campaigns:
        won, revenue = found.get(c.id, (0, 0))
        amount = money(revenue)
        cost = money(c.cost)
        rows.append(
            {
                "campaign_id": c.id,
                "campaign": c.name,
                "channel": dict_label("campaign_channel", c.channel) if c.channel else "",
                "start": c.start.isoformat() if c.start else "",
                "cost": cost,
                "responses": c.responses,
                "won": int(won),
                "revenue": amount,
                "roi": round(amount / cost, 4) if cost else None,
                "_link": f"/campaignview/show/{c.id}",
            }
        )
    columns = [
        Col("campaign", _l("Campaign")),
        Col("channel", _l("Channel")),
        Col("start", _l("Start")),
        Col("cost", _l("Cost"), "money"),
        Col("responses", _l("Responses"), "int"),
        Col("won", _l("Won opportunities"), "int"),
        Col("revenue", _l("Revenue"), "money"),
        Col("roi", _l("ROI (revenue / cost)"), "num"),
    ]
    chart = Chart("bar", x="campaign", y=["cost", "revenue"], y_title=_l("Amount"))
    return [Section("campaigns", TITLE, columns, rows, chart)], {}
