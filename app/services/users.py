"""User administration rules: last admin, self-deactivation, branch moves, audit of users."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select

from app.extensions import db
from app.models import BadInput, Branch, Conflict, CrmUser
from app.models.events import write_audit


def _admin_count(exclude_id=None):
    from flask import current_app

    admin = current_app.appbuilder.sm.find_role("Admin")
    return sum(1 for u in admin.user if u.active and u.id != exclude_id)


def check_user_change(user, actor):
    """Refuse edits that would lock everybody out; audit field and role changes."""
    state = inspect(user)
    was_admin = any(r.name == "Admin" for r in _old_roles(user))
    is_admin = any(r.name == "Admin" for r in user.roles)
    if actor is not None and user.id == actor.id and not user.active:
        raise Conflict(_l("You cannot deactivate yourself"), field="active")
    if was_admin and (not is_admin or not user.active) and _admin_count(exclude_id=user.id) == 0:
        raise Conflict(_l("The last administrator cannot be removed or deactivated"), field="roles")
    changes = {}
    for attr in ("username", "first_name", "last_name", "email", "active", "phone", "branch_id"):
        hist = state.attrs[attr].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[attr] = [old, new]
    old_roles = sorted(r.name for r in _old_roles(user))
    new_roles = sorted(r.name for r in user.roles)
    if old_roles != new_roles:
        changes["roles"] = [old_roles, new_roles]
    if changes:
        write_audit(db.session, "ab_user", user.id, "update", changes=changes)


def audit_user_created(user):
    """ab_user is outside the automatic audit: record who created which account, how."""
    changes = {
        "username": [None, user.username],
        "roles": [None, sorted(r.name for r in user.roles)],
        "branch_id": [None, user.branch_id],
        "active": [None, user.active],
    }
    write_audit(db.session, "ab_user", user.id, "create", changes=changes)


def _old_roles(user):
    hist = inspect(user).attrs["roles"].history
    if hist.has_changes():
        return list(hist.unchanged) + list(hist.deleted)
    return list(user.roles)


def check_user_delete(user, actor):
    if actor is not None and user.id == actor.id:
        raise Conflict(_l("You cannot delete yourself"))
    if any(r.name == "Admin" for r in user.roles) and _admin_count(exclude_id=user.id) == 0:
        raise Conflict(_l("The last administrator cannot be removed or deactivated"))
    write_audit(db.session, "ab_user", user.id, "delete", changes={"username": [user.username, None]})


def move_users(user_ids, branch_id):
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        raise BadInput(_l("Choose a branch"), field="branch_id")
    users = db.session.execute(select(CrmUser).where(CrmUser.id.in_(user_ids))).scalars().all()
    for user in users:
        if user.branch_id != branch.id:
            write_audit(db.session, "ab_user", user.id, "update", changes={"branch_id": [user.branch_id, branch.id]})
            user.branch_id = branch.id
    db.session.commit()
    return len(users)
