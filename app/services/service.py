"""服务管理 operations around the ticket workflow: who can be assigned, finding a ticket within
the user's data scope, assigning several tickets at once, which steps a user may take now."""

from flask import current_app
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    ViewMenu,
    assoc_permissionview_role,
    assoc_user_role,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import BadInput, CrmUser, Customer, NotFound, Service
from app.security import scope_clause

HANDLE_RIGHT = ("can_handle", "Service")


def _holders_of(permission, view_menu):
    """Ids of users whose roles hold `permission` on `view_menu`."""
    return (
        select(assoc_user_role.c.user_id)
        .join(assoc_permissionview_role, assoc_permissionview_role.c.role_id == assoc_user_role.c.role_id)
        .join(PermissionView, PermissionView.id == assoc_permissionview_role.c.permission_view_id)
        .join(Permission, Permission.id == PermissionView.permission_id)
        .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        .where(Permission.name == permission, ViewMenu.name == view_menu)
    )


def _assignable():
    return select(CrmUser).where(CrmUser.active.is_(True), CrmUser.id.in_(_holders_of(*HANDLE_RIGHT)))


def assignable_users():
    """Active users allowed to handle tickets: the choices when assigning."""
    stmt = _assignable().order_by(CrmUser.branch_id, CrmUser.username)
    return db.session.execute(stmt).scalars().all()


def find_assignee(assignee_id):
    """The user a ticket is assigned to, or BadInput naming the field."""
    try:
        pk = int(assignee_id)
    except (TypeError, ValueError):
        pk = None
    user = None
    if pk is not None:
        user = db.session.execute(_assignable().where(CrmUser.id == pk)).scalar_one_or_none()
    if user is None:
        raise BadInput(_l("Assignee: choose an active user who may handle service tickets."), field="assignee_id")
    return user


def visible_ticket(pk, user):
    """The ticket `pk` if `user` may see it; NotFound (404) exactly like a missing one."""
    stmt = select(Service).where(Service.id == pk, scope_clause(Service, user))
    ticket = db.session.execute(stmt).scalar_one_or_none()
    if ticket is None:
        raise NotFound(_l("Service ticket not found."))
    return ticket


def before_create(ticket, by):
    """A new ticket starts `new` in its customer's branch (the creator's when none)."""
    ticket.status = "new"
    customer = db.session.get(Customer, ticket.customer_id) if ticket.customer_id else ticket.customer
    ticket.branch_id = customer.branch_id if customer is not None else by.branch_id


def assign_tickets(tickets, assignee_id, by):
    """Assign every ticket to one user in one transaction: all or none."""
    assignee = find_assignee(assignee_id)
    if not tickets:
        raise BadInput(_l("Choose at least one service ticket."), field="ids")
    for ticket in tickets:
        ticket.assign(assignee, by)
    db.session.commit()
    return assignee


def handle_ticket(ticket, deal, by):
    ticket.handle(deal, by)
    db.session.commit()


def give_feedback(ticket, result, satisfaction, by):
    ticket.feedback(result, satisfaction, by)
    db.session.commit()


def allowed_steps(ticket, user):
    """The steps `user` may take on `ticket` now (rights of their roles and the ticket's rules)."""
    sm = current_app.appbuilder.sm

    def right(name):
        return sm.has_access(f"can_{name}", "Service")

    steps = set()
    if ticket.status == "new" and right("assign"):
        steps.add("assign")
    if ticket.may_handle(user) and right("handle"):
        steps.add("handle")
    if ticket.may_give_feedback(user) and right("feedback"):
        steps.add("feedback")
    if ticket.status != "archived" and right("edit"):
        steps.add("edit")
    if ticket.status == "new" and right("delete"):
        steps.add("delete")
    return steps


def overdue_days():
    return current_app.config["SERVICE_OVERDUE_DAYS"]
