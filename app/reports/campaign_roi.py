"""营销活动 ROI: revenue of won opportunities' customers' orders since the campaign start / cost."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Campaign, Customer, Opportunity, Order, dict_items, dict_label
from app.reports.base import Chart, Col, OwnFilter, Section, money
from app.reports.contribution import REVENUE_STATUSES
from app.security import scope_clause

TITLE = _l("Campaign ROI")
LIMIT = 50  # most recent campaigns charted
OWN = {
    "channel": OwnFilter(_l("Channel"), lambda: [("", "")] + dict_items("campaign_channel", db.session), default=""),
}


def build(f, user):
    campaign_where = [*f.dates(Campaign.start)]
    if f.own["channel"]:
        campaign_where.append(Campaign.channel == f.own["channel"])
    won_where = [
        Opportunity.status == "won",
        Opportunity.customer_id.is_not(None),
        scope_clause(Opportunity, user),
        *f.owner(Opportunity.branch_id, Opportunity.assignee_id),
    ]
    won = dict(
        db.session.execute(
            select(Opportunity.campaign_id, func.count(Opportunity.id))
            .where(*won_where)
            .group_by(Opportunity.campaign_id)
        ).all()
    )
    # each (campaign, customer) once, however many won opportunities link them
    pairs = select(Opportunity.campaign_id, Opportunity.customer_id).where(*won_where).distinct().subquery()
    revenue = dict(
        db.session.execute(
            select(pairs.c.campaign_id, func.sum(Order.amount))
            .join(Campaign, Campaign.id == pairs.c.campaign_id)
            .join(Order, Order.customer_id == pairs.c.customer_id)
            .join(Customer, Customer.id == Order.customer_id)
            .where(
                Order.status.in_(REVENUE_STATUSES),
                or_(Campaign.start.is_(None), Order.date >= Campaign.start),
                scope_clause(Customer, user),
                *f.owner(Customer.branch_id, Customer.manager_id),
            )
            .group_by(pairs.c.campaign_id)
        ).all()
    )
    rows = []
    stmt = select(Campaign).where(*campaign_where).order_by(Campaign.start.desc(), Campaign.id).limit(LIMIT)
    for c in db.session.execute(stmt).scalars():
        amount = money(revenue.get(c.id))
        cost = money(c.cost)
        rows.append(
            {
                "campaign_id": c.id,
                "campaign": c.name,
                "channel": dict_label("campaign_channel", c.channel) if c.channel else "",
                "start": c.start.isoformat() if c.start else "",
                "cost": cost,
                "responses": c.responses,
                "won": won.get(c.id, 0),
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
