"""营销管理 operations the screens and API share: what a user may press on an opportunity,
assigning several at once, and the pipeline board (aggregated in SQL, within data scope)."""

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import OPPORTUNITY_STATUSES, BadInput, Branch, CrmUser, Customer, DomainError, Opportunity
from app.security import is_in_scope, scope_clause

CARDS_PER_COLUMN = 50


def user_by_id(value):
    """The user with id `value` (from a form or JSON body), or None."""
    try:
        return db.session.get(CrmUser, int(value))
    except (TypeError, ValueError):
        return None


def assign_at_creation(opportunity, assignee_id, by):
    """A director may assign while creating (SPEC §2 step 1): checked before the insert,
    applied right after it, in the same transaction as the new record."""
    assignee = user_by_id(assignee_id)
    Opportunity.check_assignment(assignee, by)
    opportunity.assignee_id = None  # the assign step sets it, with its audit entry
    return assignee


def before_create(opportunity, by, assignee_id=None):
    """A new opportunity starts unassigned in its creator's branch; returns the user to
    assign it to right after the insert (None when nobody was chosen). Screens and API."""
    opportunity.status = "unassigned"
    opportunity.branch_id = by.branch_id
    return assign_at_creation(opportunity, assignee_id, by) if assignee_id else None


def after_create(opportunity, assignee, by):
    """The assign step for an opportunity created with an assignee."""
    if assignee is not None:
        opportunity.assign(assignee, by)
        db.session.commit()


def flow(item, user):
    """The workflow buttons `user` may press on `item`, for its pages."""
    return {
        "can_edit": item.editable_by(user),
        "can_assign": item.assignable_by(user),
        "can_plan": item.workable_by(user, "plan"),
        "can_execute": item.workable_by(user, "execute"),
        "can_win": item.workable_by(user, "win"),
        "can_fail": item.failable_by(user),
        "customer_visible": bool(item.customer_id) and is_in_scope(Customer, item.customer_id, user),
    }


def assign_each(items, assignee_id, by, version=None):
    """指派 every item, each in its own transaction, so one refusal does not undo the others.
    `version` (the one the form showed) applies when a single record is assigned.
    Returns (how many were assigned, [(title, message) of the refused ones])."""
    assignee = user_by_id(assignee_id)
    done, failed = 0, []
    for item in items:
        title = item.title
        try:
            item.assign(assignee, by, version=version if len(items) == 1 else None)
            db.session.commit()
            done += 1
        except BadInput as exc:  # about the chosen user: the same for every row
            db.session.rollback()
            return done, [(gettext("Assign"), str(exc.message))]
        except DomainError as exc:
            db.session.rollback()
            failed.append((title, str(exc.message)))
    return done, failed


# ---------------------------------------------------------------- pipeline board


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass
class BoardFilters:
    manager_id: int = None  # the assignee (客户经理) working the opportunity
    branch_id: int = None
    campaign_id: int = None

    @classmethod
    def from_args(cls, args):
        return cls(_int(args.get("manager_id")), _int(args.get("branch_id")), _int(args.get("campaign_id")))

    def clauses(self):
        clauses = []
        if self.manager_id:
            clauses.append(Opportunity.assignee_id == self.manager_id)
        if self.branch_id:
            clauses.append(Opportunity.branch_id == self.branch_id)
        if self.campaign_id:
            clauses.append(Opportunity.campaign_id == self.campaign_id)
        return clauses


def pipeline(user, filters):
    """One column per status: count and expected revenue (one GROUP BY) and the biggest cards
    of every column (one statement: a UNION ALL of one LIMIT per status, each read in the
    order of the (status, expected_revenue DESC, id) index — a row_number() window would sort
    every opportunity in scope first)."""
    where = [scope_clause(Opportunity, user), *filters.clauses()]
    totals = {
        status: (count, revenue)
        for status, count, revenue in db.session.execute(
            select(Opportunity.status, func.count(), func.coalesce(func.sum(Opportunity.expected_revenue), 0))
            .where(*where)
            .group_by(Opportunity.status)
        )
    }
    biggest = [
        select(
            select(Opportunity.id)
            .where(*where, Opportunity.status == status)
            .order_by(Opportunity.expected_revenue.desc(), Opportunity.id)
            .limit(CARDS_PER_COLUMN)
            .subquery()
        )
        for status in OPPORTUNITY_STATUSES
        if totals.get(status, (0,))[0]
    ]
    cards = {status: [] for status in OPPORTUNITY_STATUSES}
    if biggest:
        found = db.session.execute(
            select(Opportunity)
            .options(joinedload(Opportunity.assignee))
            .where(Opportunity.id.in_(union_all(*biggest)))
            .order_by(Opportunity.expected_revenue.desc(), Opportunity.id)
        ).scalars()
        for card in found:
            cards[card.status].append(card)
    columns = []
    for status, label in OPPORTUNITY_STATUSES.items():
        count, revenue = totals.get(status, (0, 0))
        columns.append(
            {"status": status, "label": gettext(label), "count": count, "revenue": revenue, "cards": cards[status]}
        )
    return columns


def branches():
    return db.session.execute(select(Branch).order_by(Branch.code)).scalars().all()
