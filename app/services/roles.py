"""The five roles of SPEC §1 and their default rights (applied by `crm init`)."""

from flask import current_app

from app.security import SCOPE_ALL, SCOPE_BRANCH, SCOPED_MENUS

READ = ("can_list", "can_show")
WRITE = READ + ("can_add", "can_edit", "can_delete")

ROLE_NAMES = ("Admin", "SalesDirector", "AccountManager", "ServiceAgent", "Executive")

# view-menu → permissions; workflow issues add their rights (can_assign, …) here.
DEFAULT_RIGHTS = {
    "SalesDirector": {
        "Customer": WRITE + (SCOPE_ALL,),
        "Contact": WRITE,
        "Activity": WRITE,
        "Order": WRITE,
        "Churn": READ,
        "Opportunity": WRITE + (SCOPE_ALL,),
        "Campaign": WRITE,
        "Report": ("can_list",),  # reports and cockpit (issue 6)
        "Service": WRITE + (SCOPE_ALL,),
        "Product": READ,
        "Stock": READ,
        "Dictionary": READ,
        "Branch": READ,
    },
    "AccountManager": {
        "Customer": WRITE,
        "Contact": WRITE,
        "Activity": WRITE,
        "Order": WRITE,
        "Churn": READ,
        "Opportunity": WRITE,
        "Campaign": READ,
        "Report": ("can_list",),
        "Service": READ + ("can_add",),
        "Product": READ,
        "Stock": READ,
        "Dictionary": READ,
        "Branch": READ,
    },
    "ServiceAgent": {
        "Customer": READ + (SCOPE_ALL,),
        "Contact": READ,
        "Service": READ + ("can_add",),
        "Product": READ,
        "Stock": READ,
        "Dictionary": READ,
    },
    "Executive": {
        "Customer": READ + (SCOPE_ALL,),
        "Contact": READ,
        "Activity": READ,
        "Order": READ,
        "Churn": READ,
        "Opportunity": READ + (SCOPE_ALL,),
        "Campaign": READ,
        "Report": ("can_list",),
        "Service": READ + (SCOPE_ALL,),
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
    appbuilder.add_permissions(update_perms=True)
    for menu in SCOPED_MENUS:
        sm.add_permission_view_menu(SCOPE_ALL, menu)
        sm.add_permission_view_menu(SCOPE_BRANCH, menu)


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
