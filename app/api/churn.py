"""Churn workflow endpoints (SPEC §4): POST churn/scan, churn/<id>/defer {measure},
churn/<id>/confirm {reason}. Thin: scope, then the model's step or the scan service."""

from flask_appbuilder.api import expose
from flask_appbuilder.security.decorators import protect
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.api.workflow import WorkflowApi
from app.extensions import db
from app.models import Churn
from app.security import scope_clause
from app.services import churn as churn_service


def churn_json(churn):
    return {
        "id": churn.id,
        "customer_id": churn.customer_id,
        "manager_id": churn.manager_id,
        "last_order_date": churn.last_order_date.isoformat() if churn.last_order_date else None,
        "status": churn.status,
        "reason": churn.reason,
        "lost_on": churn.lost_on.isoformat() if churn.lost_on else None,
        "version": churn.version,
        "measures": [
            {"date": m.date.isoformat(timespec="seconds"), "measure": m.measure, "user_id": m.user_id}
            for m in churn.measures
        ],
    }


class ChurnWorkflowApi(WorkflowApi):
    model = Churn
    resource_name = "churn"
    class_permission_name = "Churn"

    def load(self, pk, user):
        return db.session.execute(
            select(Churn)
            .options(joinedload(Churn.customer), selectinload(Churn.measures))
            .where(Churn.id == pk, scope_clause(Churn, user))
        ).scalar_one_or_none()

    def answer(self, churn, outcome):
        db.session.refresh(churn)
        return {"id": churn.id, "result": churn_json(churn)}

    @expose("/scan", methods=["POST"])
    @protect()
    def scan(self):
        """Run the churn scan now.
        ---
        post:
          responses:
            200:
              description: '`created`: how many warnings the scan created'
        """
        return self.response(200, created=churn_service.scan(db.session))

    @expose("/<int:pk>/defer", methods=["POST"])
    @protect()
    def defer(self, pk):
        """暂缓流失: append a measure.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    measure: {type: string}
          responses:
            200: {description: the updated churn record}
            400: {description: no measure}
            403: {description: not the customer's account manager}
            404: {description: missing or out of scope}
            409: {description: the record is closed}
        """
        return self.run_step(pk, lambda churn, body, user: churn.defer(body.get("measure"), by=user))

    @expose("/<int:pk>/confirm", methods=["POST"])
    @protect()
    def confirm(self, pk):
        """确认流失 with a reason from the churn_reason dictionary.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    reason: {type: string}
          responses:
            200: {description: the updated churn record}
            400: {description: no or unknown reason}
            403: {description: neither the account manager nor a director}
            404: {description: missing or out of scope}
            409: {description: the record is closed}
        """
        return self.run_step(pk, lambda churn, body, user: churn.confirm(body.get("reason"), by=user))


APIS = [ChurnWorkflowApi]
