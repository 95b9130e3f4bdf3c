"""Workflow endpoints for service tickets (SPEC §4):

    POST /api/v1/service/<id>/assign   {assignee_id}
    POST /api/v1/service/<id>/handle   {deal}
    POST /api/v1/service/<id>/feedback {result, satisfaction}

Each answers the updated record like GET /api/v1/service/<id>; they call the same
model methods as the ticket page."""

import datetime as dt
import decimal

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext

from app.api.resources import ServiceApi
from app.extensions import db
from app.models import DomainError
from app.security import current_user_obj
from app.services import service as svc


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


class ServiceWorkflowApi(BaseApi):
    resource_name = "service"
    class_permission_name = "Service"
    method_permission_name = {"assign": "assign", "handle": "handle", "feedback": "feedback"}
    allow_browser_login = False
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
        return self._step(pk, lambda ticket, body, user: svc.assign_tickets([ticket], body.get("assignee_id"), user))

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
        return self._step(pk, lambda ticket, body, user: svc.handle_ticket(ticket, body.get("deal"), user))

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
        return self._step(
            pk,
            lambda ticket, body, user: svc.give_feedback(ticket, body.get("result"), body.get("satisfaction"), user),
        )

    def _step(self, pk, step):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message=gettext("Send a JSON object."))
        user = current_user_obj()
        try:
            ticket = svc.visible_ticket(pk, user)
            step(ticket, body, user)
        except DomainError as exc:
            db.session.rollback()
            answer = {"message": str(exc.message)}
            if exc.field:
                answer["field"] = exc.field
            return self.response(exc.status, **answer)
        return self.response(200, id=ticket.id, result={c: _plain(getattr(ticket, c)) for c in ServiceApi.show_columns})


APIS = [ServiceWorkflowApi]
