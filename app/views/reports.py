"""统计报表 pages and the 驾驶舱 cockpit: filters (GET), plotly chart, the numbers, Excel export.

plotly's JavaScript is served from the installed package (never a CDN); charts are embedded as
JSON and drawn by static/crm/reports.js (CSP: no inline script without the nonce)."""

import datetime as dt
from pathlib import Path

import plotly
from flask import abort, make_response, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import format_decimal, format_percent
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Branch, CrmUser
from app.reports import REPORTS, run
from app.reports.charts import figure_json
from app.reports.export import workbook_bytes
from app.security import current_user_obj, scope_level

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ONE_YEAR = 365 * 24 * 3600
_PLOTLY_BYTES = None  # read once; 4.6 MB

# menu name → (report, label, icon); the cockpit first
REPORT_MENU = [
    ("Cockpit", "cockpit", _l("Cockpit"), "fa-tachometer"),
    ("Customer contribution", "contribution", _l("Customer contribution"), "fa-trophy"),
    ("Customer composition", "composition", _l("Customer composition"), "fa-pie-chart"),
    ("Customer service analysis", "service", _l("Customer service"), "fa-life-ring"),
    ("Customer churn analysis", "churn", _l("Customer churn analysis"), "fa-user-times"),
    ("Sales funnel", "funnel", _l("Sales funnel"), "fa-filter"),
    ("Campaign ROI", "campaign_roi", _l("Campaign ROI"), "fa-line-chart"),
]


def fmt(value, kind):
    """A table cell as users read it: ¥1,234.56, 12.5%, 1,234."""
    if value is None:
        return "—"
    if kind == "money":
        return "¥" + format_decimal(value, format="#,##0.00")
    if kind == "pct":
        return format_percent(value, format="#,##0.0%")
    if kind == "num":
        return format_decimal(value, format="#,##0.00")
    if kind == "int":
        return format_decimal(value, format="#,##0")
    return value


def _choices_users(user):
    level = scope_level(user, "Customer")
    stmt = select(CrmUser).where(CrmUser.active.is_(True)).order_by(CrmUser.username).limit(500)
    if level == "own":
        stmt = stmt.where(CrmUser.id == user.id)
    elif level == "branch":
        stmt = stmt.where(CrmUser.branch_id == user.branch_id)
    return [(u.id, str(u)) for u in db.session.execute(stmt).scalars()]


def _choices_branches():
    return [(b.id, b.name) for b in db.session.execute(select(Branch).order_by(Branch.code)).scalars()]


class ReportsView(BaseView):
    route_base = "/reports"
    class_permission_name = "Report"
    method_permission_name = {"cockpit": "list", "report": "list", "export": "list"}
    default_view = "cockpit"

    @expose("/plotly.min.js")
    def plotly_js(self):
        """plotly's own file from the installed package; the URL carries the version."""
        global _PLOTLY_BYTES
        if _PLOTLY_BYTES is None:
            _PLOTLY_BYTES = PLOTLY_JS.read_bytes()
        response = make_response(_PLOTLY_BYTES)
        response.headers["Content-Type"] = "text/javascript; charset=utf-8"
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        response.set_etag(plotly.__version__)
        return response.make_conditional(request)

    @expose("/cockpit/")
    @has_access
    def cockpit(self):
        return self._page("cockpit", "reports/cockpit.html")

    @expose("/<name>/")
    @has_access
    def report(self, name):
        if name not in REPORTS or name == "cockpit":
            abort(404)
        return self._page(name, "reports/report.html")

    @expose("/<name>/export")
    @has_access
    def export(self, name):
        if name not in REPORTS:
            abort(404)
        module, filters, sections, _ = run(name, request.args, current_user_obj())
        data = workbook_bytes(module.TITLE, sections)
        response = make_response(data)
        response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        filename = f"{name}-{dt.date.today().isoformat()}.xlsx"
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["Cache-Control"] = "no-store"
        return response

    def _page(self, name, template):
        user = current_user_obj()
        module, filters, sections, summary = run(name, request.args, user)
        charts = [(s, figure_json(s)) for s in sections]
        today = dt.date.today()
        return self.render_template(
            template,
            name=name,
            title=module.TITLE,
            own=module.OWN,
            filters=filters,
            charts=charts,
            summary=summary,
            fmt=fmt,
            years=list(range(today.year, today.year - 6, -1)),
            branches=_choices_branches(),
            managers=_choices_users(user),
            export_url=url_for("ReportsView.export", name=name, **filters.as_args()),
            plotly_url=url_for("ReportsView.plotly_js", v=plotly.__version__),
            report_menu=REPORT_MENU,
        )


def register_report_views(appbuilder, category):
    """The report view (no menu of its own) and one menu link per report."""
    view = appbuilder.add_view_no_menu(ReportsView)
    cat_name, cat_label, cat_icon = category
    for menu_name, report, label, icon in REPORT_MENU:
        href = "/reports/cockpit/" if report == "cockpit" else f"/reports/{report}/"
        appbuilder.add_link(
            menu_name,
            href=href,
            icon=icon,
            label=label,
            category=cat_name,
            category_label=cat_label,
            category_icon=cat_icon,
            baseview=view,
        )
    return view
