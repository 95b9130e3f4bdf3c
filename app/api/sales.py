"""Workflow endpoints for sales opportunities (SPEC §4):

    POST /api/v1/opportunity/<id>/assign  {assignee_id[, version]}
    POST /api/v1/opportunity/<id>/plan    {date, todo}
    POST /api/v1/opportunity/<id>/execute {plan_id, result}
    POST /api/v1/opportunity/<id>/win     (answers customer_id too)
    POST /api/v1/opportunity/<id>/fail    {reason}

Each answers the updated record like GET /api/v1/opportunity/<id>, and calls the same
model method as the screens. Out of scope answers 404, exactly like a missing record."""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect

from app.api.resources import OpportunityApi
from app.api.workflow import WorkflowApi, record_json
from app.models import Opportunity
from app.services.sales import user_by_id

PLAN_FIELDS = ("id", "opportunity_id", "date", "todo", "result", "done_on", "version")


class OpportunityWorkflowApi(WorkflowApi):
    model = Opportunity
    resource_name = "opportunity"
    class_permission_name = "Opportunity"
    method_permission_name = {"assign": "assign", "plan": "plan", "execute": "execute", "win": "win", "fail": "fail"}
    openapi_spec_tag = "Opportunity"

    @expose("/<int:pk>/assign", methods=["POST"])
    @protect()
    @safe
    def assign(self, pk):
        """Assign (or reassign) an opportunity to an account manager (SalesDirector).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties: {assignee_id: {type: integer}, version: {type: integer}}
          responses:
            200: {description: the updated opportunity}
            400: {description: no or unsuitable assignee}
            403: {description: not a director}
            404: {description: missing or out of scope}
            409: {description: won / lost, or changed meanwhile (version)}
        """
        return self.run_step(
            pk, lambda o, body, user: o.assign(user_by_id(body.get("assignee_id")), user, body.get("version"))
        )

    @expose("/<int:pk>/plan", methods=["POST"])
    @protect()
    @safe
    def plan(self, pk):
        """Add a plan item (the assignee).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties: {date: {type: string, format: date}, todo: {type: string}}
          responses:
            200: {description: the opportunity and the new plan item}
            400: {description: missing or bad date / todo}
            403: {description: not the assignee}
            404: {description: missing or out of scope}
            409: {description: not assigned}
        """
        return self.run_step(pk, lambda o, body, user: o.add_plan(body.get("date"), body.get("todo"), user))

    @expose("/<int:pk>/execute", methods=["POST"])
    @protect()
    @safe
    def execute(self, pk):
        """Record the result of a plan item (the assignee).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties: {plan_id: {type: integer}, result: {type: string}}
          responses:
            200: {description: the opportunity and the executed plan item}
            400: {description: missing result}
            403: {description: not the assignee}
            404: {description: opportunity or plan item missing / out of scope}
            409: {description: not assigned, or the item already has a result}
        """
        return self.run_step(pk, lambda o, body, user: o.execute(body.get("plan_id"), body.get("result"), user))

    @expose("/<int:pk>/win", methods=["POST"])
    @protect()
    @safe
    def win(self, pk):
        """开发成功: the prospect becomes a customer (or is linked to the existing one).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: the won opportunity; customer_id is the customer}
            403: {description: not the assignee}
            404: {description: missing or out of scope}
            409: {description: not assigned (already won, lost or unassigned)}
        """
        return self.run_step(pk, lambda o, body, user: o.win(user))

    @expose("/<int:pk>/fail", methods=["POST"])
    @protect()
    @safe
    def fail(self, pk):
        """终止开发 with a reason (the assignee or a director).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {reason: {type: string}}}
          responses:
            200: {description: the lost opportunity}
            400: {description: missing reason}
            403: {description: neither the assignee nor a director}
            404: {description: missing or out of scope}
            409: {description: not assigned}
        """
        return self.run_step(pk, lambda o, body, user: o.fail(body.get("reason"), user))

    def answer(self, opportunity, outcome):
        answer = {"id": opportunity.id, "result": record_json(opportunity, OpportunityApi.show_columns)}
        if outcome is not None and hasattr(outcome, "todo"):  # plan / execute: the plan item
            answer["plan"] = record_json(outcome, PLAN_FIELDS)
        if opportunity.status == "won":
            answer["customer_id"] = opportunity.customer_id
        return answer


APIS = [OpportunityWorkflowApi]
