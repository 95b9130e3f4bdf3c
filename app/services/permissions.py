"""角色权限矩阵: rights per business function, computed from the registered views and APIs.

A row is a view-menu reachable from the menu (e.g. "Customer"); its columns are the
permissions that the views and APIs sharing that view-menu declare. A new view therefore
appears without editing this module. Saving writes the difference and one audit entry.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import BadInput, Conflict, Forbidden, NotFound
from app.models.events import write_audit
from app.security import ADMIN_ONLY, SCOPE_ALL, SCOPE_BRANCH, SCOPED_MENUS
from app.services.roles import SELF_SERVICE

# Columns in display order: key → (label, permissions one checkbox stands for).
COLUMNS = {
    "view": (_l("View"), ("can_list", "can_show")),
    "add": (_l("Add"), ("can_add",)),
    "edit": (_l("Edit"), ("can_edit",)),
    "delete": (_l("Delete"), ("can_delete",)),
    "export": (_l("Export"), ("can_export",)),
    "import": (_l("Import"), ("can_import",)),
}

# Workflow and other rights: permission → label. A FAB @action's permission ("transfer")
# and a "<name>_form" page join the right "can_<name>" (see _right_key).
RIGHT_LABELS = {
    "can_assign": _l("Assign"),
    "can_plan": _l("Plan"),
    "can_execute": _l("Execute plan"),
    "can_win": _l("Close as won"),
    "can_fail": _l("Close as lost"),
    "can_board": _l("Pipeline board"),
    "can_handle": _l("Handle service"),
    "can_feedback": _l("Service feedback"),
    "can_defer": _l("Defer churn"),
    "can_confirm": _l("Confirm churn"),
    "can_scan": _l("Churn scan"),
    "can_transfer": _l("Transfer customers"),
    "can_move_branch": _l("Move to branch"),
    "can_resetpasswords": _l("Reset password"),
}

# view-menu → row label
ROW_LABELS = {
    "Customer": _l("Customers"),
    "Contact": _l("Contacts"),
    "Activity": _l("Activities"),
    "Order": _l("Orders"),
    "Churn": _l("Customer churn"),
    "Opportunity": _l("Sales opportunities"),
    "Campaign": _l("Campaigns"),
    "Service": _l("Service tickets"),
    "Product": _l("Products"),
    "Stock": _l("Stock"),
    "Dictionary": _l("Data dictionary"),
    "Branch": _l("Branches"),
    "Report": _l("Reports and cockpit"),
    "AuditLog": _l("Audit log"),
    "CrmUserView": _l("User management"),
    "PermissionMatrix": _l("Role permissions"),
}

SCOPE_CHOICES = (("own", _l("Own")), ("branch", _l("Own branch")), ("all", _l("All")))
PROTECTED_ROLES = ("Admin",)
# rights FAB adds for its own plumbing, and what every user holds for their own account
# (SELF_SERVICE): never shown as boxes, kept as they are on save
_HIDDEN = {
    "menu_access",
    "can_download",
    "can_info",
    "can_get",
    "can_post",
    "can_put",
    "userinfoedit",
    SCOPE_ALL,
    SCOPE_BRANCH,
    *(perm for perm, _menu in SELF_SERVICE),
}


def _business_view(view):
    """FAB's own security screens (roles, groups, permissions, view-menus, user statistics) are
    the experts' raw editor, reserved to Admin: they are not rows of the matrix."""
    from flask_appbuilder.security import views as fab

    expert = (
        fab.RoleModelView,
        fab.UserGroupModelView,
        fab.PermissionModelView,
        fab.ViewMenuModelView,
        fab.PermissionViewModelView,
        fab.UserStatsChartView,
    )
    return not isinstance(view, expert)


def matrix_layout(appbuilder):
    """[(module label, [(view-menu, row label, {column key: perms})])] from the live registry."""
    view_perms = {}
    for view in appbuilder.baseviews:
        name = getattr(view, "class_permission_name", None)
        if name:
            view_perms.setdefault(name, set()).update(view.base_permissions or [])
    modules, seen = [], set()
    for category in appbuilder.menu.get_list():
        rows = []
        for item in category.childs or []:
            view = item.baseview
            name = getattr(view, "class_permission_name", None)
            if not name or name in seen or not _business_view(view):
                continue
            seen.add(name)
            rows.append((name, ROW_LABELS.get(name, item.label or name), _columns(view_perms.get(name, set()))))
        if rows:
            modules.append((category.label or category.name, rows))
    return modules


def row_pages(appbuilder):
    """view-menu → labels of the menu pages its rights open (e.g. 销售机会 → 客户开发计划, 销售漏斗看板)."""
    pages = {}
    for category in appbuilder.menu.get_list():
        for item in category.childs or []:
            name = getattr(item.baseview, "class_permission_name", None)
            if name and item.label:
                pages.setdefault(name, []).append(item.label)
    return pages


def _right_key(perm):
    """The column a permission belongs to: "transfer" (an @action) and "can_transfer" are one right,
    so are "can_move_branch_form" (its page) and "move_branch"."""
    return "can_" + perm.removeprefix("can_").removesuffix("_form")


def _columns(perms):
    perms = set(perms) - _HIDDEN
    cols = {}
    for key, (_label, members) in COLUMNS.items():
        present = tuple(p for p in members if p in perms)
        if present:
            cols[key] = present
            perms -= set(present)
    for perm in sorted(perms):
        key = _right_key(perm)
        cols[key] = tuple(sorted(set(cols.get(key, ())) | {perm}))
    return cols


def column_label(key):
    """The header of a column key, or the label of a single permission ("can_show" → 查看)."""
    if key in COLUMNS:
        return COLUMNS[key][0]
    for label, members in COLUMNS.values():
        if key in members:
            return label
    return RIGHT_LABELS.get(_right_key(key), key.removeprefix("can_").replace("_", " "))


def describe(changes):
    """[(perm, view-menu)] → the distinct "row – right" lines an admin reads (查看 once for list + show)."""
    lines = []
    for perm, menu in changes:
        line = (str(ROW_LABELS.get(menu, menu)), str(column_label(perm)))
        if line not in lines:
            lines.append(line)
    return lines


def all_columns(modules):
    keys = []
    for _module, rows in modules:
        for _name, _label, cols in rows:
            for key in cols:
                if key not in keys:
                    keys.append(key)
    fixed = [k for k in COLUMNS if k in keys]
    return fixed + [k for k in keys if k not in COLUMNS]


def role_state(sm, role):
    """(set of (perm, view-menu) held, {scoped view-menu: 'own'|'branch'|'all'})."""
    held = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
    scopes = {}
    for menu in SCOPED_MENUS:
        if (SCOPE_ALL, menu) in held:
            scopes[menu] = "all"
        elif (SCOPE_BRANCH, menu) in held:
            scopes[menu] = "branch"
        else:
            scopes[menu] = "own"
    return held, scopes


def desired_from_form(modules, form):
    """Parse checkboxes named `<view-menu>:<column>` and selects `scope:<view-menu>`."""
    wanted = set()
    for _module, rows in modules:
        for name, _label, cols in rows:
            for key, perms in cols.items():
                if form.get(f"{name}:{key}"):
                    wanted.update((p, name) for p in perms)
    scopes = {}
    for menu in SCOPED_MENUS:
        value = form.get(f"scope:{menu}", "own")
        if value not in ("own", "branch", "all"):
            raise BadInput(_l("Unknown data scope"), field=f"scope:{menu}")
        scopes[menu] = value
    return wanted, scopes


def diff(modules, role_held, role_scopes, wanted, scopes):
    """What saving would change: ([added (perm, menu)], [removed], {menu: (old, new)})."""
    shown = {(p, name) for _m, rows in modules for name, _l2, cols in rows for perms in cols.values() for p in perms}
    shown = {(p, name) for p, name in shown if name not in ADMIN_ONLY}  # 权限管理 stays the Admin's
    wanted = {(p, name) for p, name in wanted if name not in ADMIN_ONLY}
    added = sorted(wanted - role_held)
    removed = sorted((role_held & shown) - wanted)
    scope_changes = {m: (role_scopes[m], scopes[m]) for m in SCOPED_MENUS if role_scopes[m] != scopes[m]}
    return added, removed, scope_changes


def apply_matrix(sm, role, modules, wanted, scopes):
    """Write the role's new rights in one transaction; returns the diff that was applied."""
    if role.name in PROTECTED_ROLES:
        raise Forbidden(_l("The Admin role always holds every right"))
    held, current_scopes = role_state(sm, role)
    added, removed, scope_changes = diff(modules, held, current_scopes, wanted, scopes)
    to_add = list(added)
    to_remove = list(removed)
    for menu, (old, new) in scope_changes.items():
        for level, perm in (("all", SCOPE_ALL), ("branch", SCOPE_BRANCH)):
            if old == level:
                to_remove.append((perm, menu))
            if new == level:
                to_add.append((perm, menu))
    remove_ids = set()
    for perm, menu in to_remove:
        pv = sm.find_permission_view_menu(perm, menu)
        if pv is not None:
            remove_ids.add(pv.id)
    role.permissions = [pv for pv in role.permissions if pv.id not in remove_ids]
    for perm, menu in to_add:
        pv = sm.find_permission_view_menu(perm, menu) or sm.add_permission_view_menu(perm, menu)
        role.permissions.append(pv)
    if added or removed or scope_changes:
        write_audit(
            db.session,
            "ab_role",
            role.id,
            "update",
            changes={
                "added": [None, [f"{p} on {m}" for p, m in added]],
                "removed": [[f"{p} on {m}" for p, m in removed], None],
                **{f"scope {m}": [o, n] for m, (o, n) in scope_changes.items()},
            },
            transition="rights",
        )
    db.session.commit()
    return added, removed, scope_changes


def copy_role(sm, source, new_name):
    new_name = (new_name or "").strip()
    if not new_name:
        raise BadInput(_l("Role name is required"), field="name")
    if sm.find_role(new_name) is not None:
        raise Conflict(_l("A role with this name already exists"), field="name")
    role = sm.add_role(new_name)
    role.permissions = list(source.permissions)
    write_audit(db.session, "ab_role", role.id, "create", changes={"copied from": [None, source.name]})
    db.session.commit()
    return role


def rename_role(sm, role, new_name):
    new_name = (new_name or "").strip()
    if not new_name:
        raise BadInput(_l("Role name is required"), field="name")
    if role.name in PROTECTED_ROLES or role.name in _default_role_names():
        raise Forbidden(_l("The built-in roles keep their names"))
    if sm.find_role(new_name) is not None:
        raise Conflict(_l("A role with this name already exists"), field="name")
    old = role.name
    role.name = new_name
    write_audit(db.session, "ab_role", role.id, "update", changes={"name": [old, new_name]})
    db.session.commit()


def delete_role(sm, role):
    from flask_appbuilder.security.sqla.models import assoc_user_role

    if role.name in PROTECTED_ROLES or role.name in _default_role_names():
        raise Forbidden(_l("The built-in roles cannot be deleted"))
    holders = db.session.execute(
        select(func.count()).select_from(assoc_user_role).where(assoc_user_role.c.role_id == role.id)
    ).scalar_one()
    if holders:
        raise Conflict(_l("This role is still held by %(count)s user(s)", count=holders))
    write_audit(db.session, "ab_role", role.id, "delete", changes={"name": [role.name, None]})
    db.session.delete(role)
    db.session.commit()


def restore_defaults(appbuilder):
    from app.services.roles import ensure_roles

    ensure_roles(appbuilder, reset=True)
    for name in _default_role_names():
        role = appbuilder.sm.find_role(name)
        write_audit(db.session, "ab_role", role.id, "update", transition="restore defaults")
    db.session.commit()


def _default_role_names():
    from app.services.roles import DEFAULT_RIGHTS

    return tuple(DEFAULT_RIGHTS)


def get_role(sm, role_id):
    role = db.session.get(sm.role_model, role_id)
    if role is None:
        raise NotFound(_l("Role not found"))
    return role
