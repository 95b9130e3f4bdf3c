"""销售漏斗: opportunities by status with expected revenue, conversion, win rate per manager."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from app.extensions import db
from app.models import OPPORTUNITY_STATUSES, CrmUser, Opportunity, dict_items
from app.reports.base import STR_EQUAL, Chart, Col, OwnFilter, Section, list_url, money
from app.security import scope_clause

TITLE = _l("Sales funnel")
OWN = {
    "source": OwnFilter(_l("Source"), lambda: [("", "")] + dict_items("opportunity_source", db.session), default=""),
}
# funnel stage → the statuses that have reached it
STAGES = [
    ("created", _l("Created"), ("unassigned", "assigned", "won", "lost")),
    ("assigned", _l("Assigned"), ("assigned", "won", "lost")),
    ("won", _l("Won"), ("won",)),
]


def _where(f, user):
    where = [
        scope_clause(Opportunity, user),
        *f.dates(Opportunity.created_on),
        *f.owner(Opportunity.branch_id, Opportunity.assignee_id),
    ]
    if f.own["source"]:
        where.append(Opportunity.source == f.own["source"])
    return where


def build(f, user):
    where = _where(f, user)
    by_status = {
        r.status: r
        for r in db.session.execute(
            select(
                Opportunity.status,
                func.count(Opportunity.id).label("n"),
                func.sum(Opportunity.expected_revenue).label("revenue"),
            )
            .where(*where)
            .group_by(Opportunity.status)
        )
    }
    status_rows = [
        {
            "status": code,
            "label": gettext(text),
            "opportunities": by_status[code].n if code in by_status else 0,
            "expected_revenue": money(by_status[code].revenue) if code in by_status else 0.0,
            "_link": list_url("opportunityview", (STR_EQUAL, "status", code)),
        }
        for code, text in OPPORTUNITY_STATUSES.items()
    ]
    stage_rows, previous = [], None
    for key, label, statuses in STAGES:
        n = sum(by_status[s].n for s in statuses if s in by_status)
        revenue = sum(money(by_status[s].revenue) for s in statuses if s in by_status)
        stage_rows.append(
            {
                "stage": key,
                "label": str(label),
                "opportunities": n,
                "expected_revenue": round(revenue, 2),
                "conversion": round(n / previous, 4) if previous else (1.0 if previous is None and n else 0),
                "_link": list_url("opportunityview", (STR_EQUAL, "status", key)) if key != "created" else None,
            }
        )
        previous = n
    won = func.sum(case((Opportunity.status == "won", 1), else_=0))
    lost = func.sum(case((Opportunity.status == "lost", 1), else_=0))
    manager_stmt = (
        select(
            Opportunity.assignee_id,
            CrmUser.first_name,
            CrmUser.last_name,
            CrmUser.username,
            func.count(Opportunity.id).label("assigned"),
            won.label("won"),
            lost.label("lost"),
            func.sum(case((Opportunity.status == "won", Opportunity.expected_revenue), else_=0)).label("won_revenue"),
        )
        .join(CrmUser, CrmUser.id == Opportunity.assignee_id)
        .where(*where)
        .group_by(Opportunity.assignee_id, CrmUser.first_name, CrmUser.last_name, CrmUser.username)
        .order_by(won.desc(), Opportunity.assignee_id)
    )
    manager_rows = []
    for r in db.session.execute(manager_stmt):
        closed = (r.won or 0) + (r.lost or 0)
        manager_rows.append(
            {
                "manager_id": r.assignee_id,
                "manager": f"{r.last_name or ''}{r.first_name or ''}".strip() or r.username,
                "assigned": r.assigned,
                "won": int(r.won or 0),
                "lost": int(r.lost or 0),
                "win_rate": round((r.won or 0) / closed, 4) if closed else 0,
                "won_revenue": money(r.won_revenue),
                "_link": None,
            }
        )
    sections = [
        Section(
            "status",
            _l("Opportunities by status"),
            [
                Col("label", _l("Status")),
                Col("opportunities", _l("Opportunities"), "int"),
                Col("expected_revenue", _l("Expected revenue"), "money"),
            ],
            status_rows,
            Chart("bar", x="label", y=["expected_revenue"], y_title=_l("Expected revenue")),
        ),
        Section(
            "stages",
            _l("Conversion"),
            [
                Col("label", _l("Stage")),
                Col("opportunities", _l("Opportunities"), "int"),
                Col("expected_revenue", _l("Expected revenue"), "money"),
                Col("conversion", _l("Conversion from previous stage"), "pct"),
            ],
            stage_rows,
            Chart("funnel", x="label", y=["opportunities"]),
        ),
        Section(
            "managers",
            _l("Win rate per manager"),
            [
                Col("manager", _l("Account manager")),
                Col("assigned", _l("Assigned"), "int"),
                Col("won", _l("Won"), "int"),
                Col("lost", _l("Lost"), "int"),
                Col("win_rate", _l("Win rate"), "pct"),
                Col("won_revenue", _l("Won expected revenue"), "money"),
            ],
            manager_rows,
            Chart("bar", x="manager", y=["win_rate"], y_title=_l("Win rate")),
        ),
    ]
    return sections, {}
