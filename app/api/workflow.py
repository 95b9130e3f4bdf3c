"""Base of the workflow endpoints (opportunity / service / churn steps, SPEC §4).

Every step reads the same way: JSON body → the record within the caller's data scope
(404 otherwise, exactly like a missing one) → one model method → commit → the updated
record. Domain errors answer their status with {message, field}."""

from flask import request
from flask_appbuilder.api import BaseApi
from flask_babel import gettext
from sqlalchemy import select

from app.api.base import error_body
from app.extensions import db
from app.models import DomainError, NotFound
from app.models.events import plain_value as plain  # the audit trail's JSON form of a value
from app.security import current_user_obj, scope_clause


def record_json(obj, fields):
    return {field: plain(getattr(obj, field)) for field in fields}


class WorkflowApi(BaseApi):
    allow_browser_login = False
    model = None  # the scoped model whose steps this API exposes

    def load(self, pk, user):
        """The record `pk` if `user` may see it, else None."""
        stmt = select(self.model).where(self.model.id == pk, scope_clause(self.model, user))
        return db.session.execute(stmt).scalar_one_or_none()

    def answer(self, record, outcome):
        """The 200 body after a step: {"id", "result", …}."""
        raise NotImplementedError

    def run_step(self, pk, step):
        """Run `step(record, body, user)` on the scoped record in one transaction."""
        body = request.get_json(silent=True) if request.content_length else {}
        if not isinstance(body, dict):
            return self.response_400(message=gettext("Send a JSON object."))
        user = current_user_obj()
        try:
            record = self.load(pk, user)
            if record is None:
                raise NotFound(gettext("Not found"))
            outcome = step(record, body, user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self.response(exc.status, **error_body(exc))
        return self.response(200, **self.answer(record, outcome))
