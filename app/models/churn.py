"""客户流失: warning records, their measures (暂缓措施), confirmation, recovery.

The steps are guarded UPDATEs (`… WHERE status IN ('warning', 'deferred')`, rowcount 1)
with exactly one audit entry each; the scan itself lives in app.services.churn.
"""

import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, object_session, relationship

from .audit import AuditLog
from .base import (
    N_,
    AuditColumns,
    BadInput,
    Conflict,
    Forbidden,
    StatusLabel,
    Versioned,
    current_actor_id,
    guarded_update,
    now,
)
from .customer import Customer
from .dictionary import dict_items
from .events import audit_row, write_audit
from .order import Order
from .org import CrmUser

CHURN_STATUSES = {
    "warning": N_("Warning"),
    "deferred": N_("Deferred"),
    "lost": N_("Confirmed lost"),
    "recovered": N_("Recovered"),
}
OPEN_CHURN_STATUSES = ("warning", "deferred")
_OPEN_SQL = text("status IN ('warning', 'deferred')")


class Churn(StatusLabel, AuditColumns, Versioned, Model):
    __tablename__ = "churn"
    STATUSES = CHURN_STATUSES
    __table_args__ = (
        CheckConstraint("status IN ('warning', 'deferred', 'lost', 'recovered')", name="ck_churn_status"),
        Index("ix_churn_customer_status", "customer_id", "status"),
        Index("ix_churn_manager_status", "manager_id", "status"),
        # one open record per customer: concurrent scans cannot duplicate warnings
        Index(
            "uq_churn_open_customer",
            "customer_id",
            unique=True,
            sqlite_where=_OPEN_SQL,
            postgresql_where=_OPEN_SQL,
        ),
    )

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    customer = relationship(Customer)
    manager_id = Column(Integer, ForeignKey("ab_user.id"))
    manager = relationship(CrmUser, foreign_keys=[manager_id])
    last_order_date = Column(Date)
    status = Column(String(20), nullable=False, default="warning")
    reason = Column(String(200))  # dictionary churn_reason
    lost_on = Column(Date)
    measures = relationship(
        "ChurnMeasure", back_populates="churn", order_by="ChurnMeasure.id", cascade="all, delete-orphan"
    )

    def __repr__(self):
        return f"{self.customer}"

    @property
    def is_open(self):
        return self.status in OPEN_CHURN_STATUSES

    # -- who may do what ---------------------------------------------------

    def may_defer(self, user):
        """暂缓流失 is the customer's account manager's call."""
        return user is not None and self.customer.manager_id == user.id

    def may_confirm(self, user):
        """确认流失: the account manager, or someone who oversees more than their own
        customers (director: branch or company-wide customer scope)."""
        from app.security import scope_level

        if user is None:
            return False
        return self.customer.manager_id == user.id or scope_level(user, "Customer") in ("all", "branch")

    # -- transitions -------------------------------------------------------

    def defer(self, measure, by):
        """Append a 暂缓措施 (date, user) and mark the record 暂缓流失. Earlier measures stay."""
        if not self.may_defer(by):
            raise Forbidden(_l("Only the customer's account manager may defer a churn warning"))
        measure = (measure or "").strip()
        if not measure:
            raise BadInput(_l("Please describe the measure taken"), field="measure")
        session = object_session(self)
        old = self._guarded(session, by, status="deferred")
        session.execute(
            insert(ChurnMeasure.__table__).values(
                churn_id=self.id,
                date=now(),
                measure=measure,
                user_id=by.id,
                created_on=now(),
                changed_on=now(),
                created_by_id=by.id,
                changed_by_id=by.id,
            )
        )
        self._audit(session, "defer", {"status": [old, "deferred"], "measure": [None, measure]})
        session.expire(self)
        return self

    def confirm(self, reason, by):
        """确认流失 with a reason from the churn_reason dictionary; the customer becomes lost."""
        if not self.may_confirm(by):
            raise Forbidden(_l("Only the customer's account manager or a director may confirm churn"))
        session = object_session(self)
        if not reason or reason not in dict(dict_items("churn_reason", session)):
            raise BadInput(_l("Please choose a churn reason"), field="reason")
        today = dt.date.today()
        old = self._guarded(session, by, status="lost", reason=reason, lost_on=today)
        session.execute(update(Customer.__table__).where(Customer.id == self.customer_id).values(status="lost"))
        session.expire(self.customer)
        self._audit(
            session,
            "confirm",
            {"status": [old, "lost"], "reason": [None, reason], "lost_on": [None, today.isoformat()]},
        )
        session.expire(self)
        return self

    def _guarded(self, session, by, **values):
        """UPDATE … WHERE status is open; exactly one row moves or the step is refused."""
        old = session.execute(select(Churn.status).where(Churn.id == self.id)).scalar()
        if not guarded_update(session, Churn, self.id, OPEN_CHURN_STATUSES, {"changed_by_id": by.id, **values}):
            raise Conflict(_l("This churn record is already closed"))
        return old

    def _audit(self, session, transition, changes):
        write_audit(
            session, "churn", self.id, "transition", changes, transition=transition, customer_id=self.customer_id
        )


class ChurnMeasure(AuditColumns, Model):
    """One 暂缓措施; append-only."""

    __tablename__ = "churn_measure"

    churn_id = Column(Integer, ForeignKey("churn.id", ondelete="CASCADE"), nullable=False, index=True)
    churn = relationship(Churn, back_populates="measures")
    date = Column(DateTime, nullable=False, default=now)
    measure = Column(Text, nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id"))
    user = relationship(CrmUser, foreign_keys=[user_id])


def recover_customers(connection, customer_ids):
    """A new order closes the customers' open churn records as 已恢复 and sets them back
    to normal: one audit entry per record. Returns how many records were closed."""
    open_rows = connection.execute(
        select(Churn.id, Churn.customer_id, Churn.status).where(
            Churn.customer_id.in_(sorted(customer_ids)), Churn.status.in_(OPEN_CHURN_STATUSES)
        )
    ).all()
    if not open_rows:
        return 0
    actor = current_actor_id()
    connection.execute(
        update(Churn.__table__)
        .where(Churn.id.in_([r.id for r in open_rows]), Churn.status.in_(OPEN_CHURN_STATUSES))
        .values(status="recovered", version=Churn.version + 1, changed_on=now(), changed_by_id=actor)
    )
    connection.execute(
        update(Customer.__table__)
        .where(Customer.id.in_([r.customer_id for r in open_rows]), Customer.status == "warning")
        .values(status="normal")
    )
    connection.execute(
        insert(AuditLog.__table__),
        [
            audit_row(
                "churn",
                r.id,
                "transition",
                {"status": [r.status, "recovered"]},
                transition="recover",
                customer_id=r.customer_id,
            )
            for r in open_rows
        ],
    )
    return len(open_rows)


@event.listens_for(Session, "after_flush")
def _recover_on_new_order(session, flush_context):
    customer_ids = {
        obj.customer_id
        for obj in session.new
        if isinstance(obj, Order) and obj.customer_id is not None and obj.status != "cancelled"
    }
    if customer_ids:
        recover_customers(session.connection(), customer_ids)
