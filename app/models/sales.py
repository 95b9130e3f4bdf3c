"""营销管理: 销售机会 and 开发计划, with the workflow steps of SPEC §2 as methods.

Every step is one guarded UPDATE (`… WHERE id = :id AND status IN (…)`); when it touches
no row someone else moved first, and the caller gets a Conflict. Steps write their own
audit entry: Core updates are invisible to the ORM flush hook, so nothing is counted twice.
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
    Numeric,
    String,
    Text,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, object_session, relationship, validates
from sqlalchemy.orm.exc import StaleDataError

from .base import (
    N_,
    AuditColumns,
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    StatusLabel,
    Versioned,
    current_actor_id,
    guarded_update,
    now,
)
from .campaign import Campaign
from .customer import Contact, Customer, normalise_name
from .events import write_audit
from .org import Branch, CrmUser

OPPORTUNITY_STATUSES = {
    "unassigned": N_("Unassigned"),
    "assigned": N_("Assigned"),
    "won": N_("Won"),
    "lost": N_("Lost"),
}
OPEN_STATUSES = ("unassigned", "assigned")
ARCHIVED_STATUSES = ("won", "lost")

STALE = _l("This record was changed by someone else meanwhile; reload and try again.")
ARCHIVED = _l("This opportunity is archived (won or lost) and read-only")
NOT_ASSIGNEE = _l("Only the assignee of this opportunity may do this")


def may(user, right):
    """Does `user` hold the workflow right can_<right> on Opportunity (editable per role)?"""
    from flask import current_app

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return current_app.appbuilder.sm._has_view_access(user, f"can_{right}", "Opportunity")


def is_director(user):
    """Directors are whoever may assign opportunities."""
    return may(user, "assign")


def _text(value, field, max_len, missing):
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if not value:
        raise BadInput(missing, field=field)
    if len(value) > max_len:
        raise BadInput(_l("Too long (at most %(max)s characters)", max=max_len), field=field)
    return value


def _date(value, field="date"):
    if isinstance(value, dt.date):
        return value
    if not value:
        raise BadInput(_l("Please enter the plan date"), field=field)
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadInput(_l("Invalid date, use YYYY-MM-DD"), field=field) from None


def _version(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadInput(_l("Invalid version"), field="version") from None


def _committed(obj, key):
    """The value `key` had when `obj` was loaded (before unflushed changes)."""
    hist = inspect(obj).attrs[key].history
    return hist.deleted[0] if hist.deleted else getattr(obj, key)


class Opportunity(StatusLabel, AuditColumns, Versioned, Model):
    __tablename__ = "opportunity"
    STATUSES = OPPORTUNITY_STATUSES
    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="ck_opportunity_probability"),
        CheckConstraint("expected_revenue >= 0", name="ck_opportunity_revenue"),
        CheckConstraint("status IN ('unassigned', 'assigned', 'won', 'lost')", name="ck_opportunity_status"),
        Index("ix_opportunity_assignee_status", "assignee_id", "status"),
        Index("ix_opportunity_creator_status", "created_by_id", "status"),
        Index("ix_opportunity_branch_status", "branch_id", "status"),
        # the board's columns (count, sum, biggest cards first) and the cockpit's won vs lost
        Index("ix_opportunity_status_revenue", "status", text("expected_revenue DESC"), "id"),
        Index("ix_opportunity_status_closed", "status", "closed_on", "expected_revenue"),
    )

    source = Column(String(100))  # dictionary opportunity_source
    customer_name = Column(String(200), nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id"), index=True)
    customer = relationship(Customer)
    title = Column(String(200), nullable=False)
    probability = Column(Integer, nullable=False, default=50)
    expected_revenue = Column(Numeric(16, 2), nullable=False, default=0)
    expected_close = Column(Date)
    contact = Column(String(50))
    phone = Column(String(30))
    description = Column(Text)
    campaign_id = Column(Integer, ForeignKey("campaign.id"), index=True)
    campaign = relationship(Campaign)
    creator = relationship(CrmUser, foreign_keys="Opportunity.created_by_id", viewonly=True)
    assignee_id = Column(Integer, ForeignKey("ab_user.id"))
    assignee = relationship(CrmUser, foreign_keys=[assignee_id])
    assigned_on = Column(DateTime)
    branch_id = Column(Integer, ForeignKey("branch.id"))
    branch = relationship(Branch, foreign_keys=[branch_id])
    status = Column(String(20), nullable=False, default="unassigned", index=True)
    closed_on = Column(DateTime)
    lost_reason = Column(String(300))
    plans = relationship("Plan", back_populates="opportunity", cascade="all, delete-orphan", order_by="Plan.date")

    def __repr__(self):
        return self.title or ""

    @property
    def archived(self):
        return self.status in ARCHIVED_STATUSES

    @validates("probability")
    def _check_probability(self, key, value):
        if value is not None and not 0 <= int(value) <= 100:
            raise BadInput(_l("Success probability must be between 0 and 100"), field="probability")
        return value

    @validates("expected_revenue")
    def _check_revenue(self, key, value):
        if value is not None and value < 0:
            raise BadInput(_l("Expected revenue must not be negative"), field="expected_revenue")
        return value

    # -- who may do what (the screens ask these to show only the buttons that work) --

    def editable_by(self, user):
        return self.status == "unassigned" and user is not None and (self.created_by_id == user.id or is_director(user))

    def assignable_by(self, user):
        return self.status in OPEN_STATUSES and may(user, "assign")

    def workable_by(self, user, right):
        """plan / execute / win: the assignee of an assigned opportunity."""
        return self.status == "assigned" and user is not None and self.assignee_id == user.id and may(user, right)

    def failable_by(self, user):
        return (
            self.status == "assigned"
            and may(user, "fail")
            and (self.assignee_id == getattr(user, "id", None) or is_director(user))
        )

    def check_editable(self, user):
        """Edit / delete only while unassigned, by its creator or a director."""
        if _committed(self, "status") != "unassigned":
            raise Conflict(ARCHIVED if self.archived else _l("Only unassigned opportunities can be changed or deleted"))
        if user is None or (_committed(self, "created_by_id") != user.id and not is_director(user)):
            raise Forbidden(_l("Only its creator or a sales director may change or delete this opportunity"))

    # -- workflow steps ------------------------------------------------------

    @staticmethod
    def check_assignment(assignee, by):
        """May `by` give an opportunity to `assignee`? (also asked before creating one assigned)"""
        if not may(by, "assign"):
            raise Forbidden(_l("Only a sales director may assign opportunities"))
        if assignee is None or not assignee.active:
            raise BadInput(_l("Please choose an active user to assign to"), field="assignee_id")
        if not may(assignee, "win"):
            raise BadInput(_l("This user cannot work on sales opportunities"), field="assignee_id")

    def assign(self, assignee, by, version=None):
        """指派: a director gives the opportunity (again) to someone who works opportunities."""
        self.check_assignment(assignee, by)
        seen = self.version if version in (None, "") else _version(version)
        before = {"status": self.status, "assignee_id": self.assignee_id}
        moved = self._move(
            OPEN_STATUSES,
            by,
            version=seen,
            status="assigned",
            assignee_id=assignee.id,
            assigned_on=now(),
            branch_id=assignee.branch_id or self.branch_id,  # the branch that works it sees it
        )
        if not moved:
            raise self._refusal(_l("Only unassigned or assigned opportunities can be assigned"), OPEN_STATUSES)
        self._audit(
            "assign",
            {"status": [before["status"], "assigned"], "assignee_id": [before["assignee_id"], assignee.id]},
        )

    def win(self, by):
        """开发成功: assigned → won; returns the customer it became (or the existing one it is)."""
        self._require_assignee(by, "win")
        if not self._move(("assigned",), by, assignee=by, status="won", closed_on=now()):
            raise self._refusal(_l("Only an assigned opportunity can be won"))
        # the guarded UPDATE above let exactly one request through: only it creates a customer
        customer = self._customer_for(by)
        session = object_session(self)
        table = Opportunity.__table__
        session.execute(update(table).where(table.c.id == self.id).values(customer_id=customer.id))
        session.expire(self)
        self._audit("win", {"status": ["assigned", "won"], "customer_id": [None, customer.id]}, customer.id)
        return customer

    def fail(self, reason, by):
        """终止开发: assigned → lost with a reason, by the assignee or a director."""
        if not may(by, "fail") or (self.status == "assigned" and self.assignee_id != by.id and not is_director(by)):
            raise Forbidden(_l("Only the assignee or a sales director may end the development"))
        reason = _text(reason, "reason", 300, _l("Please give the reason for failure"))
        if not self._move(("assigned",), by, status="lost", lost_reason=reason, closed_on=now()):
            raise self._refusal(_l("Only an assigned opportunity can be ended"))
        self._audit("fail", {"status": ["assigned", "lost"], "lost_reason": [None, reason]})

    def add_plan(self, date, todo, by):
        """制定计划: a new plan item (date + todo) by the assignee."""
        self._require_assignee(by, "plan")
        plan = Plan(
            opportunity_id=self.id, date=_date(date), todo=_text(todo, "todo", 500, _l("Please enter the plan item"))
        )
        self._hold(by)
        session = object_session(self)
        session.add(plan)
        session.flush()
        return plan

    def edit_plan(self, plan_id, date, todo, by):
        """Change a plan item that has no result yet."""
        self._require_assignee(by, "plan")
        plan = self._open_plan(plan_id)
        date, todo = _date(date), _text(todo, "todo", 500, _l("Please enter the plan item"))
        self._hold(by)
        plan.date, plan.todo = date, todo
        self._flush_plan()
        return plan

    def delete_plan(self, plan_id, by):
        """Remove a plan item that has no result yet."""
        self._require_assignee(by, "plan")
        plan = self._open_plan(plan_id)
        self._hold(by)
        object_session(self).delete(plan)
        self._flush_plan()

    def execute(self, plan_id, result, by):
        """执行计划: record the result of a plan item (once)."""
        self._require_assignee(by, "execute")
        result = _text(result, "result", 500, _l("Please enter the result"))
        plan = self._plan(plan_id)
        self._hold(by)
        session = object_session(self)
        table = Plan.__table__
        done = session.execute(
            update(table)
            .where(table.c.id == plan.id, table.c.opportunity_id == self.id, table.c.result.is_(None))
            .values(result=result, done_on=now(), version=table.c.version + 1, changed_on=now(), changed_by_id=by.id)
        ).rowcount
        if done != 1:
            raise Conflict(_l("This plan item already has a result and can no longer be changed"), field="plan_id")
        session.expire(plan)
        write_audit(
            session, "plan", plan.id, "transition", {"result": [None, result]}, "execute", customer_id=self.customer_id
        )
        return plan

    # -- helpers ---------------------------------------------------------------

    def _move(self, statuses, by, version=None, assignee=None, **values):
        """The guarded UPDATE of a transition; True when this request made it."""
        session = object_session(self)
        where = [Opportunity.__table__.c.assignee_id == assignee.id] if assignee is not None else []
        values["changed_by_id"] = by.id
        moved = guarded_update(session, Opportunity, self.id, statuses, values, version=version, where=where)
        session.expire(self)
        return moved

    def _hold(self, by):
        """Lock the row for a plan change: still assigned to `by`, else someone moved first."""
        session = object_session(self)
        table = Opportunity.__table__
        held = session.execute(
            update(table)
            .where(table.c.id == self.id, table.c.status == "assigned", table.c.assignee_id == by.id)
            .values(changed_on=now(), changed_by_id=by.id)
        ).rowcount
        session.expire(self)
        if held != 1:
            raise self._refusal(_l("Plans can only be made for an assigned opportunity"))

    def _refusal(self, wrong_state, allowed=("assigned",)):
        """The Conflict to raise when a guarded UPDATE touched nothing (state read afresh)."""
        object_session(self).expire(self)
        if self.archived:
            return Conflict(ARCHIVED)
        if self.status not in allowed:
            return Conflict(wrong_state)
        return Conflict(STALE)

    def _require_assignee(self, by, right):
        if not may(by, right) or (self.status == "assigned" and self.assignee_id != by.id):
            raise Forbidden(NOT_ASSIGNEE)
        if self.archived:
            raise Conflict(ARCHIVED)

    def _plan(self, plan_id):
        session = object_session(self)
        try:
            plan = session.get(Plan, int(plan_id))
        except (TypeError, ValueError):
            plan = None
        if plan is None or plan.opportunity_id != self.id:
            raise NotFound(_l("Plan item not found"), field="plan_id")
        return plan

    def _open_plan(self, plan_id):
        plan = self._plan(plan_id)
        if plan.result is not None:
            raise Conflict(_l("This plan item already has a result and can no longer be changed"), field="plan_id")
        return plan

    def _flush_plan(self):
        try:
            object_session(self).flush()
        except StaleDataError:  # executed or changed by another request meanwhile
            raise Conflict(STALE) from None

    def _customer_for(self, by):
        """The customer this opportunity concerns, else one of the same name, else a new one
        managed by the assignee in their branch with the contact as primary contact."""
        session = object_session(self)
        customer = session.get(Customer, self.customer_id) if self.customer_id else None
        if customer is None:
            customer = session.execute(
                select(Customer)
                .where(Customer.name_norm == normalise_name(self.customer_name))
                .order_by(Customer.id)
                .limit(1)
            ).scalar_one_or_none()
        if customer is None:
            customer = Customer(
                name=self.customer_name,
                phone=self.phone,
                manager_id=by.id,
                branch_id=by.branch_id,
                source="opportunity",
            )
            session.add(customer)
        if self.contact and not any(c.name == self.contact for c in customer.contacts):
            primary = not any(c.is_primary for c in customer.contacts)
            customer.contacts.append(Contact(name=self.contact, phone=self.phone, is_primary=primary))
        session.flush()
        return customer

    def _audit(self, step, changes, customer_id=None):
        write_audit(
            object_session(self),
            "opportunity",
            self.id,
            "transition",
            changes,
            step,
            customer_id=customer_id or self.customer_id,
        )


class Plan(AuditColumns, Versioned, Model):
    __tablename__ = "plan"

    opportunity_id = Column(Integer, ForeignKey("opportunity.id", ondelete="CASCADE"), nullable=False, index=True)
    opportunity = relationship(Opportunity, back_populates="plans")
    date = Column(Date, nullable=False, index=True)
    todo = Column(String(500), nullable=False)
    result = Column(String(500))
    done_on = Column(DateTime)

    def __repr__(self):
        return self.todo or ""

    @property
    def open(self):
        return self.result is None

    def check_editable(self, user, new=False):
        """Plan items: added, changed, removed by the assignee while assigned, without a result."""
        session = object_session(self)
        for opportunity_id in {self.opportunity_id, _committed(self, "opportunity_id")} - {None}:
            opportunity = session.get(Opportunity, opportunity_id)
            if opportunity is None:
                continue
            if opportunity.status != "assigned":
                raise Conflict(
                    ARCHIVED if opportunity.archived else _l("Plans can only be made for an assigned opportunity")
                )
            if user is None or opportunity.assignee_id != user.id:
                raise Forbidden(NOT_ASSIGNEE)
        if not new and _committed(self, "result") is not None:
            raise Conflict(_l("This plan item already has a result and can no longer be changed"))


def _changed(session, obj):
    return session.is_modified(obj, include_collections=False)


@event.listens_for(Session, "before_flush")
def _guard_direct_changes(session, flush_context, instances):
    """Screens and REST resources change these records through the ORM; the rules above
    hold for them too (workflow steps use Core updates and are not seen here)."""
    deleted = [o for o in session.deleted if isinstance(o, (Opportunity, Plan))]
    dirty = [o for o in session.dirty if isinstance(o, (Opportunity, Plan)) and _changed(session, o)]
    new = [o for o in session.new if isinstance(o, Plan)]
    if not (deleted or dirty or new):
        return
    actor_id = current_actor_id()
    if actor_id is None:  # fixtures, migrations, CLI without a user
        return
    user = session.get(CrmUser, actor_id)
    gone = {o.id for o in deleted if isinstance(o, Opportunity)}
    for obj in deleted + dirty:
        if isinstance(obj, Opportunity):
            obj.check_editable(user)
        elif obj.opportunity_id not in gone:
            obj.check_editable(user)
    for plan in new:
        plan.check_editable(user, new=True)
