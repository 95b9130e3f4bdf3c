"""Security manager (CRM user, cached permission checks, password policy) and data scope.

Data scope (SPEC §1) is built in exactly one place, `scope_clause(model, user)`; every
view, API, export, report, action and picker calls it (directly or via `FilterInScope`).
"""

import re
from pathlib import Path

from flask import g, has_request_context
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import (
    PermissionModelView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    ViewMenuModelView,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select, true

from app.models import (
    Activity,
    Churn,
    ChurnMeasure,
    Contact,
    CrmUser,
    Customer,
    Opportunity,
    Order,
    OrderLine,
    Plan,
    Service,
    ServiceRound,
)

SCOPE_ALL = "datascope_all"
SCOPE_BRANCH = "datascope_branch"
SCOPED_MENUS = ("Customer", "Opportunity", "Service")

# ---------------------------------------------------------------- password policy

_COMMON = None


def _common_passwords():
    global _COMMON
    if _COMMON is None:
        path = Path(__file__).with_name("common_passwords.txt")
        _COMMON = {line.strip().lower() for line in path.read_text().splitlines() if line.strip()}
    return _COMMON


def password_policy(password, username=None):
    """At least 10 characters, not the user name, not a common password."""
    password = password or ""
    if len(password) < 10:
        raise PasswordComplexityValidationError(str(_l("Password must be at least 10 characters long")))
    lowered = password.lower()
    if username is None and has_request_context():
        from flask import request

        username = request.form.get("username") or getattr(g.get("user"), "username", None)
    if username and username.lower() in lowered:
        raise PasswordComplexityValidationError(str(_l("Password must not contain the user name")))
    if lowered in _common_passwords() or re.fullmatch(r"(.)\1+|0123456789+|1234567890+", lowered):
        raise PasswordComplexityValidationError(str(_l("Password is too common")))


# ---------------------------------------------------------------- data scope


def scope_level(user, menu):
    """'all', 'branch' or 'own' for `user` on view-menu `menu` (Customer/Opportunity/Service)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache = g.setdefault("crm_scope_cache", {}) if has_request_context() else {}
    key = (user.id, menu)
    if key not in cache:
        from flask import current_app

        sm = current_app.appbuilder.sm
        if sm._has_view_access(user, SCOPE_ALL, menu):
            cache[key] = "all"
        elif sm._has_view_access(user, SCOPE_BRANCH, menu):
            cache[key] = "branch"
        else:
            cache[key] = "own"
    return cache[key]


def _customer_clause(user, branch_id=Customer.branch_id, manager_id=Customer.manager_id):
    """The customer scope on the customer's columns, or on copies of them (summary rows)."""
    level = scope_level(user, "Customer")
    if level == "all":
        return true()
    if level == "branch":
        return branch_id == user.branch_id if user.branch_id else false()
    if level == "own":
        return manager_id == user.id
    return false()


def _opportunity_clause(user):
    level = scope_level(user, "Opportunity")
    if level == "all":
        return true()
    if level == "branch":
        return Opportunity.branch_id == user.branch_id if user.branch_id else false()
    if level == "own":
        return or_(Opportunity.created_by_id == user.id, Opportunity.assignee_id == user.id)
    return false()


def _service_clause(user):
    level = scope_level(user, "Service")
    if level == "all":
        return true()
    if level == "branch":
        return Service.branch_id == user.branch_id if user.branch_id else false()
    if level == "own":
        own_customers = select(Customer.id).where(Customer.manager_id == user.id)
        return or_(
            Service.created_by_id == user.id,
            Service.assignee_id == user.id,
            Service.customer_id.in_(own_customers),
        )
    return false()


def _via(fk_column, parent_model, parent_clause):
    clause = parent_clause
    if clause is true():
        return true()
    return fk_column.in_(select(parent_model.id).where(clause))


def scope_clause(model, user=None):
    """The WHERE clause limiting `model` to what `user` (default: current user) may see."""
    if user is None:
        user = current_user_obj()
    if user is None:
        return false()
    if model is Customer:
        return _customer_clause(user)
    if model in (Contact, Activity, Order, Churn):
        return _via(model.customer_id, Customer, _customer_clause(user))
    if model is OrderLine:
        return _via(OrderLine.order_id, Order, scope_clause(Order, user))
    if model is ChurnMeasure:
        return _via(ChurnMeasure.churn_id, Churn, scope_clause(Churn, user))
    if model is Opportunity:
        return _opportunity_clause(user)
    if model is Plan:
        return _via(Plan.opportunity_id, Opportunity, _opportunity_clause(user))
    if model is Service:
        return _service_clause(user)
    if model is ServiceRound:
        return _via(ServiceRound.service_id, Service, _service_clause(user))
    return true()  # master data (branch, dictionary, product, stock, campaign) is not scoped


def summary_scope_clause(table, user=None):
    """`scope_clause` for summary rows (app/models/summary.py): they carry the customer's
    branch_id and manager_id, so the customer scope applies to them directly."""
    if user is None:
        user = current_user_obj()
    return _customer_clause(user, table.branch_id, table.manager_id)


def current_user_obj():
    """The authenticated user of this request (session or JWT), or a CLI actor."""
    if not has_request_context():
        uid = g.get("crm_actor_id") if g else None
        return None if uid is None else _user_by_id(uid)
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    try:
        from flask_jwt_extended import current_user as jwt_user

        if jwt_user:
            return jwt_user
    except Exception:  # no JWT in this request
        pass
    user = g.get("user")
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _user_by_id(uid):
    from app.extensions import db

    return db.session.get(CrmUser, uid)


def is_in_scope(model, pk, user=None):
    from app.extensions import db

    stmt = select(model.id).where(model.id == pk, scope_clause(model, user))
    return db.session.execute(stmt).first() is not None


class FilterInScope(BaseFilter):
    """base_filters entry that applies `scope_clause` to the view's model."""

    name = "Data scope"
    arg_name = "scope"

    def apply(self, query, value):
        return query.filter(scope_clause(self.model))


# ---------------------------------------------------------------- security manager


class CrmUserDBModelView(UserDBModelView):
    """FAB's user screen plus branch and phone (SPEC §2 权限管理)."""

    label_columns = {**UserDBModelView.label_columns, "branch": _l("Branch"), "phone": _l("Phone")}
    list_columns = ["username", "last_name", "first_name", "branch", "phone", "email", "active", "roles", "last_login"]
    search_columns = ["username", "first_name", "last_name", "email", "branch", "phone", "active", "roles"]
    add_columns = [
        "username",
        "last_name",
        "first_name",
        "branch",
        "phone",
        "email",
        "active",
        "roles",
        "password",
        "conf_password",
    ]
    edit_columns = ["username", "last_name", "first_name", "branch", "phone", "email", "active", "roles"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "branch", "login_count"]}),
        (_l("Personal Info"), {"fields": ["last_name", "first_name", "email", "phone"], "expanded": True}),
        (
            _l("Audit Info"),
            {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"], "expanded": False},
        ),
    ]
    user_show_fieldsets = show_fieldsets[:2]


# FAB's other security screens label most columns from their English attribute names
SECURITY_LABELS = {
    "name": _l("Name"),
    "label": _l("Label"),
    "description": _l("Description"),
    "user": _l("Users"),
    "users": _l("Users"),
    "role": _l("Roles"),
    "roles": _l("Roles"),
    "group": _l("Groups"),
    "groups": _l("Groups"),
    "permissions": _l("Permissions"),
    "permission": _l("Permission"),
    "view_menu": _l("View/Menu"),
}


def _labelled(view):
    return type(view.__name__, (view,), {"label_columns": {**SECURITY_LABELS, **(view.label_columns or {})}})


# Screens of 权限管理 (users, roles, rights, audit) that only the Admin role reaches (issue 9).
ADMIN_ONLY = {
    "CrmUserView",
    "PermissionMatrix",
    "AuditLog",
    "RoleModelView",
    "UserGroupModelView",
    "PermissionModelView",
    "ViewMenuModelView",
    "PermissionViewModelView",
    "ResetPasswordView",
}

SELF_SERVICE = {"can_userinfo", "resetmypassword"}  # every user's own profile and password


def _is_admin(user):
    return user is not None and any(role.name == "Admin" for role in getattr(user, "roles", ()))


class CrmSecurityManager(SecurityManager):
    user_model = CrmUser
    userdbmodelview = CrmUserDBModelView
    rolemodelview = _labelled(RoleModelView)
    groupmodelview = _labelled(UserGroupModelView)
    permissionmodelview = _labelled(PermissionModelView)
    viewmenumodelview = _labelled(ViewMenuModelView)
    permissionviewmodelview = _labelled(PermissionViewModelView)
    userstatschartview = None  # FAB's chart loads Google Charts from the internet (SPEC: no external URLs)
    _crm_menu = None  # built on first use from the registered menu

    def register_views(self):
        from app.views.users import CrmUserView  # that module imports this one

        self.userdbmodelview = CrmUserView
        super().register_views()
        # FAB limits the UI login only; /api/v1/security/login gets the same limit
        if self.is_auth_limited:
            from flask_appbuilder.security.api import SecurityApi

            for view in self.appbuilder.baseviews:
                if isinstance(view, SecurityApi):
                    self.limiter.limit(self.auth_rate_limit, methods=["POST"])(view.blueprint)

    def reset_password(self, userid, password):
        """An admin's reset is a one-time password; the user's own change clears the flag."""
        from app.models.events import write_audit

        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        actor = g.get("user") if has_request_context() else None
        own = actor is not None and getattr(actor, "id", None) == userid
        user.must_change_password = not own
        write_audit(self.session, "ab_user", userid, "update", changes={"password": ["***", "***"]})
        self.session.commit()

    def has_access(self, permission_name, view_name):
        if view_name in ADMIN_ONLY and permission_name not in SELF_SERVICE and not _is_admin(current_user_obj()):
            return False  # 权限管理 is the Admin's, whatever a role editor ticked
        if permission_name == "menu_access":
            visible = _menu_has_access(self, view_name)
            if visible is not None:
                return visible
        return super().has_access(permission_name, view_name)

    def exist_permission_on_roles(self, view_name, permission_name, role_ids):
        # FAB asks once per menu entry and button; load the roles' rights once per request.
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        cache = g.setdefault("crm_role_rights", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            cache[key] = self._role_rights(key)
        return (permission_name, view_name) in cache[key]

    def _role_rights(self, role_ids):
        from flask_appbuilder.security.sqla.models import assoc_permissionview_role

        rows = (
            self.session.query(self.permission_model.name, self.viewmenu_model.name)
            .select_from(self.permissionview_model)
            .join(self.permission_model, self.permissionview_model.permission_id == self.permission_model.id)
            .join(self.viewmenu_model, self.permissionview_model.view_menu_id == self.viewmenu_model.id)
            .join(
                assoc_permissionview_role,
                assoc_permissionview_role.c.permission_view_id == self.permissionview_model.id,
            )
            .filter(assoc_permissionview_role.c.role_id.in_(role_ids))
            .all()
        )
        return {(perm, view) for perm, view in rows}

    def get_user_menu_access(self, menu_names=None):
        if not has_request_context():
            return super().get_user_menu_access(menu_names)
        cache = g.setdefault("crm_menu_cache", {})
        key = tuple(menu_names or ())
        if key not in cache:
            cache[key] = super().get_user_menu_access(menu_names)
        return cache[key]


def _menu_rights(appbuilder):
    """menu item name → (permission, view-menu) that makes it visible; categories → children."""
    rights, categories = {}, {}
    for item in appbuilder.menu.get_list():
        children = []
        for child in item.childs or []:
            view = child.baseview
            if view is not None and child.name != "-":
                perms = view.base_permissions or []
                perm = "can_list" if "can_list" in perms else (perms[0] if perms else None)
                if perm:
                    rights[child.name] = (perm, view.class_permission_name)
                    children.append(child.name)
        if item.baseview is not None and not item.childs:
            perms = item.baseview.base_permissions or []
            if perms:
                rights[item.name] = (
                    "can_list" if "can_list" in perms else perms[0],
                    item.baseview.class_permission_name,
                )
        if children:
            categories[item.name] = children
    return rights, categories


def _menu_has_access(sm, name):
    """Menu visibility follows from the rights behind it (no separate menu_access ticking)."""
    if sm._crm_menu is None:
        sm._crm_menu = _menu_rights(sm.appbuilder)
    rights, categories = sm._crm_menu
    if name in rights:
        perm, view = rights[name]
        return SecurityManager.has_access(sm, perm, view)
    if name in categories:
        return any(_menu_has_access(sm, child) for child in categories[name])
    return None
