"""服务管理: tickets and their handling / feedback rounds.

The workflow new → assigned → handled → archived (or back to assigned when the customer
is unsatisfied) is made of the methods `assign`, `handle` and `feedback`. Each is one
guarded UPDATE (… WHERE status = :expected): of two concurrent submissions one wins,
the other gets a Conflict (409). Each step writes exactly one audit entry.
"""

import datetime as dt
from typing import NamedTuple

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import column_property, object_session, relationship

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
    status_label,
)
from .customer import Customer
from .events import plain_value, write_audit
from .org import Branch, CrmUser

SERVICE_STATUSES = {
    "new": N_("Newly created"),  # 新创建; not the opportunity's "New"/"Assigned" (新建/已指派)
    "assigned": N_("Allocated"),  # 已分配
    "handled": N_("Handled"),
    "archived": N_("Archived"),
}
OPEN_STATUSES = ("new", "assigned", "handled")
_NOT_ARCHIVED = text("status <> 'archived'")  # partial indexes (both databases)
_NEW = text("status = 'new'")
SATISFIED = 3  # satisfaction from which a ticket is archived; below it goes back to the assignee


class Progress(NamedTuple):
    """A ticket's status and whether it is overdue; str() is the label (lists, exports)."""

    status: str
    overdue: bool

    def __str__(self):
        from flask_babel import gettext

        label = status_label(SERVICE_STATUSES, self.status)
        return f"{label}（{gettext('Overdue')}）" if self.overdue else label


class Service(StatusLabel, AuditColumns, Versioned, Model):
    __tablename__ = "service"
    STATUSES = SERVICE_STATUSES
    __table_args__ = (
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="ck_service_satisfaction"),
        CheckConstraint("status IN ('new', 'assigned', 'handled', 'archived')", name="ck_service_status"),
        Index("ix_service_assignee_status", "assignee_id", "status"),
        Index("ix_service_creator_status", "created_by_id", "status"),
        Index("ix_service_branch_status", "branch_id", "status"),
        Index("ix_service_customer_status", "customer_id", "status"),
        # cockpit "open tickets by type" (index-only) and the workbench's unassigned tickets
        Index("ix_service_open_type", "type", "created_on", sqlite_where=_NOT_ARCHIVED, postgresql_where=_NOT_ARCHIVED),
        Index("ix_service_new_created", "created_on", "id", sqlite_where=_NEW, postgresql_where=_NEW),
    )

    type = Column(String(100), nullable=False)  # dictionary service_type
    title = Column(String(200), nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    customer = relationship(Customer)
    branch_id = Column(Integer, ForeignKey("branch.id"))
    branch = relationship(Branch, foreign_keys=[branch_id])
    request = Column(Text, nullable=False)
    status = Column(String(20), nullable=False, default="new", index=True)
    creator = relationship(CrmUser, foreign_keys="Service.created_by_id", viewonly=True)
    assignee_id = Column(Integer, ForeignKey("ab_user.id"))
    assignee = relationship(CrmUser, foreign_keys=[assignee_id])
    assigned_on = Column(DateTime)
    deal = Column(Text)
    dealt_by_id = Column(Integer, ForeignKey("ab_user.id"))
    dealt_by = relationship(CrmUser, foreign_keys=[dealt_by_id])
    dealt_on = Column(DateTime)
    result = Column(Text)
    satisfaction = Column(Integer)
    archived_on = Column(DateTime)
    rounds = relationship(
        "ServiceRound", back_populates="service", order_by="ServiceRound.id", cascade="all, delete-orphan"
    )
    # for searching and sorting lists by customer name without loading the customer table
    customer_name = column_property(
        select(Customer.name).where(Customer.id == customer_id).correlate_except(Customer).scalar_subquery()
    )

    def __repr__(self):
        return self.title or ""

    # -- who may do what (SPEC §2 服务管理) ----------------------------------

    def may_handle(self, user):
        return self.status == "assigned" and user is not None and user.id == self.assignee_id

    def may_give_feedback(self, user):
        if self.status != "handled" or user is None:
            return False
        return user.id == self.created_by_id or (self.customer is not None and user.id == self.customer.manager_id)

    @classmethod
    def feedback_clause(cls, user):
        """SQL twin of `may_give_feedback` (without the status): tickets the user created
        or of customers they manage."""
        own_customers = select(Customer.id).where(Customer.manager_id == user.id)
        return or_(cls.created_by_id == user.id, cls.customer_id.in_(own_customers))

    # -- overdue marking -----------------------------------------------------

    @property
    def progress(self):
        """Status and overdue flag for the lists' status column."""
        from flask import current_app

        return Progress(self.status, self.is_overdue(current_app.config["SERVICE_OVERDUE_DAYS"]))

    def is_overdue(self, days, at=None):
        """Open for more than `days` days (app.config SERVICE_OVERDUE_DAYS)."""
        if self.status not in OPEN_STATUSES or self.created_on is None:
            return False
        return self.created_on < (at or now()) - dt.timedelta(days=days)

    @classmethod
    def overdue_clause(cls, days, at=None):
        return cls.status.in_(OPEN_STATUSES) & (cls.created_on < (at or now()) - dt.timedelta(days=days))

    # -- edits outside the workflow ----------------------------------------

    def check_editable(self):
        if self.status == "archived":
            raise Conflict(_l("Archived service tickets are read-only."))

    def check_deletable(self):
        if self.status != "new":
            raise Conflict(_l("Only new service tickets can be deleted; this one is already being worked on."))

    # -- workflow steps ----------------------------------------------------

    def assign(self, assignee, by=None):
        """新创建 → 已分配 (SalesDirector): `assignee` will handle the ticket."""
        if self.status != "new":
            raise Conflict(_l("This service ticket is no longer new; it cannot be assigned again."))
        if assignee is None or not assignee.active:
            raise BadInput(_l("Assignee: choose an active user."), field="assignee_id")
        at = now()
        self._step(
            "assign",
            "new",
            {"status": "assigned", "assignee_id": assignee.id, "assigned_on": at},
            _l("This service ticket is no longer new; it cannot be assigned again."),
        )

    def handle(self, deal, by):
        """已分配 → 已处理 (the assignee): what was done for the customer."""
        if self.status != "assigned":
            raise Conflict(_l("Only an assigned service ticket can be handled."))
        if not self.may_handle(by):
            raise Forbidden(_l("Only the assignee may handle this service ticket."))
        deal = (deal or "").strip()
        if not deal:
            raise BadInput(_l("Handling: describe what was done."), field="deal")
        at = now()
        self._step(
            "handle",
            "assigned",
            {"status": "handled", "deal": deal, "dealt_by_id": by.id, "dealt_on": at},
            _l("Only an assigned service ticket can be handled."),
            extra_where=[Service.__table__.c.assignee_id == by.id],
        )
        object_session(self).execute(
            insert(ServiceRound.__table__).values(service_id=self.id, deal=deal, dealt_by_id=by.id, dealt_on=at)
        )

    def feedback(self, result, satisfaction, by):
        """已处理 → 已归档 when satisfied (≥ 3), else back to 已分配 for the same assignee."""
        if self.status != "handled":
            raise Conflict(_l("Feedback can only be given on a handled service ticket."))
        if not self.may_give_feedback(by):
            raise Forbidden(_l("Only the ticket's creator or the customer's manager may give feedback."))
        result = (result or "").strip()
        if not result:
            raise BadInput(_l("Feedback: write down what the customer said."), field="result")
        satisfaction = _satisfaction(satisfaction)
        at = now()
        values = {"result": result, "satisfaction": satisfaction}
        if satisfaction >= SATISFIED:
            values.update(status="archived", archived_on=at)
        else:
            values["status"] = "assigned"
        self._step("feedback", "handled", values, _l("Feedback can only be given on a handled service ticket."))
        rounds = ServiceRound.__table__.c
        object_session(self).execute(
            update(ServiceRound.__table__)
            .where(rounds.service_id == self.id, rounds.feedback_on.is_(None))
            .values(result=result, satisfaction=satisfaction, feedback_on=at, changed_on=at)
        )

    def _step(self, transition, expected, values, conflict_message, extra_where=()):
        """UPDATE … WHERE status = :expected; exactly one row or Conflict; one audit entry."""
        session = object_session(self)
        old = {key: plain_value(getattr(self, key)) for key in values}
        if not guarded_update(session, Service, self.id, (expected,), values, where=extra_where):
            raise Conflict(conflict_message)
        changes = {
            key: [old[key], plain_value(value)] for key, value in values.items() if old[key] != plain_value(value)
        }
        write_audit(
            session, "service", self.id, "transition", changes, transition=transition, customer_id=self.customer_id
        )
        session.expire(self)


class ServiceRound(AuditColumns, Model):
    """One handle → feedback round; every round is kept (SPEC §2)."""

    __tablename__ = "service_round"

    service_id = Column(Integer, ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True)
    service = relationship(Service, back_populates="rounds")
    deal = Column(Text)
    dealt_by_id = Column(Integer, ForeignKey("ab_user.id"))
    dealt_on = Column(DateTime)
    result = Column(Text)
    satisfaction = Column(Integer)
    feedback_on = Column(DateTime)


def _satisfaction(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or str(number) != str(value).strip() or not 1 <= number <= 5:
        raise BadInput(_l("Satisfaction must be a whole number from 1 to 5."), field="satisfaction")
    return number


@event.listens_for(Service, "before_insert")
@event.listens_for(Service, "before_update")
def _customer_must_be_visible(mapper, connection, target):
    """Whoever creates a ticket (form, API, import) must see its customer; the branch follows
    the customer. Without an acting user (CLI, fixtures) there is no scope to check."""
    if inspect(target).persistent and not inspect(target).attrs.customer_id.history.has_changes():
        return
    from app.security import current_user_obj, is_in_scope  # security imports the models

    user = current_user_obj()
    if user is not None and not is_in_scope(Customer, target.customer_id, user):
        raise BadInput(_l("Customer: not found or not in your data scope."), field="customer_id")
    branch = connection.execute(select(Customer.branch_id).where(Customer.id == target.customer_id)).scalar()
    if branch is not None:
        target.branch_id = branch


# Guards for people (screens, API, CLI with an acting user); fixtures and bulk loads pass.
@event.listens_for(Service, "before_update")
def _archived_is_read_only(mapper, connection, target):
    if current_actor_id() is not None:
        target.check_editable()


@event.listens_for(Service, "before_delete")
def _delete_only_new(mapper, connection, target):
    if current_actor_id() is not None:
        target.check_deletable()
