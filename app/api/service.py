"""Workflow endpoints for service tickets (SPEC §4):

    POST /api/v1/service/<id>/assign   {assignee_id}
    POST /api/v1/service/<id>/handle   {deal}
    POST /api/v1/service/<id>/feedback {result, satisfaction}

Each answers the updated record like GET /api/v1/service/<id>; they call the same
model methods as the ticket page."""

from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect

from app.api.resources import ServiceApi
from app.api.workflow import WorkflowApi, record_json
from app.models import Service
from app.services import service as svc


class ServiceWorkflowApi(WorkflowApi):
    model = Service
    resource_name = "service"
    class_permission_name = "Service"
    method_permission_name = {"assign": "assign", "handle": "handle", "feedback": "feedback"}
    openapi_spec_tag = "Service"

    @expose("/<int:pk>/assign", methods=["POST"])
    @protect()
    @safe
    def assign(self, pk):
        """Assign a new ticket (SalesDirector).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {assignee_id: {type: integer}}}
          responses:
            200: {description: the updated ticket}
            400: {description: bad assignee}
            403: {description: not allowed}
            404: {description: missing or out of scope}
            409: {description: not new any more}
        """
        return self.run_step(pk, lambda ticket, body, user: svc.assign_tickets([ticket], body.get("assignee_id"), user))

    @expose("/<int:pk>/handle", methods=["POST"])
    @protect()
    @safe
    def handle(self, pk):
        """Record what was done (the assignee).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {deal: {type: string}}}
          responses:
            200: {description: the updated ticket}
            400: {description: empty handling}
            403: {description: not the assignee}
            404: {description: missing or out of scope}
            409: {description: not assigned}
        """
        return self.run_step(pk, lambda ticket, body, user: svc.handle_ticket(ticket, body.get("deal"), user))

    @expose("/<int:pk>/feedback", methods=["POST"])
    @protect()
    @safe
    def feedback(self, pk):
        """Record the customer's feedback (creator or the customer's manager): satisfaction
        3–5 archives the ticket, 1–2 sends it back to the assignee.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties: {result: {type: string}, satisfaction: {type: integer, minimum: 1, maximum: 5}}
          responses:
            200: {description: the updated ticket}
            400: {description: empty feedback or satisfaction outside 1–5}
            403: {description: neither creator nor the customer's manager}
            404: {description: missing or out of scope}
            409: {description: not handled}
        """
        return self.run_step(
            pk,
            lambda ticket, body, user: svc.give_feedback(ticket, body.get("result"), body.get("satisfaction"), user),
        )

    def load(self, pk, user):
        return svc.visible_ticket(pk, user)

    def answer(self, ticket, outcome):
        return {"id": ticket.id, "result": record_json(ticket, ServiceApi.show_columns)}


APIS = [ServiceWorkflowApi]
