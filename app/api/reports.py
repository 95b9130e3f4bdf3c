"""GET /api/v1/report/<name>: the numbers a report charts, as JSON rows (SPEC §4).

Names: contribution, composition (?by=level|credit|satisfaction|region), service, churn,
funnel, campaign_roi, cockpit; the page's filters are query parameters here too."""

from flask import request
from flask_appbuilder.api import BaseApi, expose
from flask_appbuilder.security.decorators import protect

from app.reports import REPORTS, as_json, run
from app.security import current_user_obj


class ReportApi(BaseApi):
    resource_name = "report"
    class_permission_name = "Report"
    method_permission_name = {"get": "list"}
    allow_browser_login = False

    @expose("/<name>", methods=["GET"])
    @protect()
    def get(self, name):
        """A report's numbers.
        ---
        get:
          parameters:
          - in: path
            name: name
            schema:
              type: string
          responses:
            200:
              description: sections of rows, `rows` being the first section
            404:
              description: no such report
        """
        if name not in REPORTS:
            return self.response_404()
        _, filters, sections, summary = run(name, request.args, current_user_obj())
        return self.response(200, **as_json(name, filters, sections, summary))
