"""The five roles of SPEC §1 and their default rights (applied by `crm init`)."""

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.security import SCOPE_ALL, SCOPE_BRANCH, SCOPED_MENUS

READ = ("can_list", "can_show")
WRITE = READ + ("can_add", "can_edit", "can_delete")

ROLE_NAMES = ("Admin", "SalesDirector", "AccountManager", "ServiceAgent", "Executive")
# What users read beside the fixed role names (SPEC §1).
ROLE_LABELS = {
    "Admin": _l("System administrator"),
    "SalesDirector": _l("Sales director"),
    "AccountManager": _l("Account manager"),
    "ServiceAgent": _l("Service agent"),
    "Executive": _l("Executive"),
}


def role_label(name):
    """'AccountManager（客户经理）' for a default role, the name itself for others."""
    label = ROLE_LABELS.get(name)
    return f"{name}（{label}）" if label else name


# Workflow rights (SPEC §2), by view-menu. A view or API declares them through
# method_permission_name, e.g. {"assign": "assign"} → can_assign on "Opportunity".
OPP_ASSIGN = ("can_assign",)
OPP_WORK = ("can_plan", "can_execute", "can_win", "can_fail", "can_board")
SERVICE_ASSIGN = ("can_assign",)
SERVICE_WORK = ("can_handle", "can_feedback")
CHURN_WORK = ("can_defer", "can_confirm")
CHURN_SCAN = ("can_scan",)
SHEETS = ("can_export",)
SHEETS_IO = ("can_export", "can_import")

# view-menu → permissions
DEFAULT_RIGHTS = {
    "SalesDirector": {
        "Customer": WRITE + SHEETS_IO + (SCOPE_ALL,),
        "Contact": WRITE + SHEETS_IO,
        "Activity": WRITE + SHEETS,
        "Order": WRITE + SHEETS_IO,
        "Churn": READ + CHURN_WORK + CHURN_SCAN + SHEETS,
        "Opportunity": WRITE + OPP_ASSIGN + ("can_fail", "can_board") + SHEETS + (SCOPE_ALL,),
        "Campaign": WRITE + SHEETS,
        "Report": ("can_list",),  # reports and cockpit (issue 6)
        "Service": WRITE + SERVICE_ASSIGN + SERVICE_WORK + SHEETS + (SCOPE_ALL,),
        "Product": READ + SHEETS,
        "Stock": READ + SHEETS,
        "Dictionary": READ,
        "Branch": READ,
    },
    "AccountManager": {
        "Customer": WRITE + SHEETS_IO,
        "Contact": WRITE + SHEETS_IO,
        "Activity": WRITE + SHEETS,
        "Order": WRITE + SHEETS_IO,
        "Churn": READ + CHURN_WORK + SHEETS,
        "Opportunity": WRITE + OPP_WORK + SHEETS,
        "Campaign": READ,
        "Report": ("can_list",),
        "Service": READ + ("can_add",) + SERVICE_WORK + SHEETS,
        "Product": READ,
        "Stock": READ,
        "Dictionary": READ,
        "Branch": READ,
    },
    "ServiceAgent": {
        "Customer": READ + (SCOPE_ALL,),
        "Contact": READ,
        "Service": READ + ("can_add",) + SERVICE_WORK + SHEETS,
        "Product": READ,
        "Stock": READ,
        "Dictionary": READ,
    },
    "Executive": {
        "Customer": READ + SHEETS + (SCOPE_ALL,),
        "Contact": READ,
        "Activity": READ,
        "Order": READ + SHEETS,
        "Churn": READ,
        "Opportunity": READ + ("can_board",) + SHEETS + (SCOPE_ALL,),
        "Campaign": READ,
        "Report": ("can_list",),
        "Service": READ + SHEETS + (SCOPE_ALL,),
        "Product": READ,
        "Stock": READ,
        "Dictionary": READ,
        "Branch": READ,
    },
}

# every role may use these FAB screens for their own account
SELF_SERVICE = [
    ("can_userinfo", "CrmUserView"),
    ("resetmypassword", "CrmUserView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
]


def sync_permissions(appbuilder):
    """Write every view's permissions and the data-scope rights into the database."""
    sm = appbuilder.sm
    if sm.find_role(sm.auth_role_admin) is None:  # FAB grants each new permission to it
        sm.add_role(sm.auth_role_admin)
    # Several views share one class_permission_name (e.g. 销售机会 and its archive): FAB's
    # per-view sync would try to delete the others' permissions ("Refused to delete
    # permission view …" for each); sync each view-menu once with all its views' rights.
    for name, perms in _view_menu_permissions(appbuilder).items():
        sm.add_permissions_view(perms, name)
    appbuilder._add_menu_permissions(update_perms=True)
    for menu in SCOPED_MENUS:
        sm.add_permission_view_menu(SCOPE_ALL, menu)
        sm.add_permission_view_menu(SCOPE_BRANCH, menu)


def _view_menu_permissions(appbuilder):
    """view-menu name → the union of the base permissions of the views that share it."""
    merged = {}
    for view in appbuilder.baseviews:
        perms = merged.setdefault(view.class_permission_name, [])
        perms.extend(p for p in view.base_permissions or [] if p not in perms)
    return merged


def ensure_roles(appbuilder, reset=False):
    """Create missing roles with their default rights. Existing roles keep what admins
    set, unless `reset`. Admin always holds every permission. Returns created names."""
    sm = appbuilder.sm
    created = []
    admin = sm.find_role("Admin") or sm.add_role("Admin")
    held = {pv.id for pv in admin.permissions}  # PermissionView's __eq__ is unreliable
    for pv in sm.session.query(sm.permissionview_model).all():
        if pv.id not in held:
            admin.permissions.append(pv)
    if not sm.find_role(current_app.config.get("AUTH_ROLE_PUBLIC", "Public")):
        sm.add_role(current_app.config.get("AUTH_ROLE_PUBLIC", "Public"))
    for name, rights in DEFAULT_RIGHTS.items():
        role = sm.find_role(name)
        if role is None:
            role = sm.add_role(name)
            created.append(name)
        elif not reset:
            continue
        role.permissions = default_permissions(sm, rights)
    sm.session.commit()
    return created


def default_permissions(sm, rights):
    pvs = []
    for menu, perms in rights.items():
        for perm in perms:
            pv = sm.find_permission_view_menu(perm, menu)
            if pv is not None:
                pvs.append(pv)
    for perm, menu in SELF_SERVICE:
        pv = sm.find_permission_view_menu(perm, menu)
        if pv is not None:
            pvs.append(pv)
    return pvs
