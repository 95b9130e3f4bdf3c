"""Reports (统计报表) and the cockpit: one module per report, each a few GROUP BY queries
whose result size does not grow with the tables, used alike by pages, API and exports.

Every report module has TITLE, OWN (its own filters) and build(filters, user) →
(sections, summary). Scope comes from app.security.scope_clause inside every query.
"""

from app.reports import campaign_roi, churn, cockpit, composition, contribution, funnel, service
from app.reports.base import Filters

REPORTS = {
    "contribution": contribution,
    "composition": composition,
    "service": service,
    "churn": churn,
    "funnel": funnel,
    "campaign_roi": campaign_roi,
    "cockpit": cockpit,
}


def run(name, args, user):
    """(module, filters, sections, summary) of report `name` for `user` and request args."""
    module = REPORTS[name]
    filters = Filters.from_args(args, module.OWN)
    sections, summary = module.build(filters, user)
    return module, filters, sections, summary


def as_json(name, filters, sections, summary):
    """The API body: the numbers charted, section by section; `rows` = the first section."""
    return {
        "report": name,
        "filters": filters.as_args(),
        "summary": summary,
        "rows": sections[0].values() if sections else [],
        "sections": [
            {"key": s.key, "title": str(s.title), "columns": [c.key for c in s.columns], "rows": s.values()}
            for s in sections
        ],
    }
