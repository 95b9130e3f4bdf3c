"""角色权限矩阵: the admins' daily screen for role rights and data scope (FAB's raw role
views stay reachable under 权限管理 for experts)."""

from flask import current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import DomainError
from app.security import SCOPED_MENUS
from app.services import permissions as svc
from app.services.roles import role_label


class PermissionMatrixView(BaseView):
    route_base = "/crm/permissions"
    default_view = "matrix"
    class_permission_name = "PermissionMatrix"
    method_permission_name = {
        "matrix": "list",
        "preview": "edit",
        "save": "edit",
        "copy": "edit",
        "rename": "edit",
        "delete": "edit",
        "restore": "edit",
    }
    template = "security/matrix.html"

    def _context(self, role):
        sm = self.appbuilder.sm
        modules = svc.matrix_layout(self.appbuilder)
        held, scopes = svc.role_state(sm, role)
        return {
            "roles": sorted(sm.get_all_roles(), key=lambda r: r.name),
            "role": role,
            "modules": modules,
            "columns": svc.all_columns(modules),
            "column_label": svc.column_label,
            "held": held,
            "is_checked": lambda name, perms: all((p, name) in held for p in perms),
            "scopes": scopes,
            "scoped_menus": SCOPED_MENUS,
            "scope_choices": svc.SCOPE_CHOICES,
            "row_labels": svc.ROW_LABELS,
            "row_pages": svc.row_pages(self.appbuilder),
            "admin_only": svc.ADMIN_ONLY,
            "role_label": role_label,
            "protected": role.name in svc.PROTECTED_ROLES,
        }

    def _role(self, role_id=None):
        sm = self.appbuilder.sm
        if role_id is not None:
            return svc.get_role(sm, role_id)
        roles = [r for r in sm.get_all_roles() if r.name not in svc.PROTECTED_ROLES + ("Public",)]
        return sorted(roles, key=lambda r: r.name)[0] if roles else sm.find_role("Admin")

    def _back(self, role_id):
        return redirect(url_for(".matrix", role=role_id))

    @expose("/")
    @has_access
    def matrix(self):
        role_id = request.args.get("role", type=int)
        role = self._role(role_id)
        return self.render_template(self.template, title=_l("Role permissions"), **self._context(role))

    @expose("/<int:role_id>/preview", methods=["POST"])
    @has_access
    def preview(self, role_id):
        role = self._role(role_id)
        ctx = self._context(role)
        try:
            wanted, scopes = svc.desired_from_form(ctx["modules"], request.form)
        except DomainError as exc:
            flash(str(exc.message), "danger")
            return self._back(role_id)
        added, removed, scope_changes = svc.diff(ctx["modules"], ctx["held"], ctx["scopes"], wanted, scopes)
        return self.render_template(
            "security/matrix_preview.html",
            title=_l("Confirm changes"),
            added=svc.describe(added),
            removed=svc.describe(removed),
            scope_changes=scope_changes,
            form_items=[(k, v) for k in request.form for v in request.form.getlist(k) if k != "csrf_token"],
            **ctx,
        )

    @expose("/<int:role_id>/save", methods=["POST"])
    @has_access
    def save(self, role_id):
        sm = self.appbuilder.sm
        role = self._role(role_id)
        modules = svc.matrix_layout(self.appbuilder)
        try:
            wanted, scopes = svc.desired_from_form(modules, request.form)
            added, removed, scope_changes = svc.apply_matrix(sm, role, modules, wanted, scopes)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return self._back(role_id)
        flash(
            gettext(
                "Saved: %(added)s rights added, %(removed)s removed, %(scopes)s data scopes changed",
                added=len(added),
                removed=len(removed),
                scopes=len(scope_changes),
            ),
            "success",
        )
        return self._back(role_id)

    @expose("/<int:role_id>/copy", methods=["POST"])
    @has_access
    def copy(self, role_id):
        try:
            new = svc.copy_role(self.appbuilder.sm, self._role(role_id), request.form.get("name"))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return self._back(role_id)
        flash(gettext("Role %(name)s created", name=new.name), "success")
        return self._back(new.id)

    @expose("/<int:role_id>/rename", methods=["POST"])
    @has_access
    def rename(self, role_id):
        try:
            svc.rename_role(self.appbuilder.sm, self._role(role_id), request.form.get("name"))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return self._back(role_id)
        flash(gettext("Role renamed"), "success")
        return self._back(role_id)

    @expose("/<int:role_id>/delete", methods=["POST"])
    @has_access
    def delete(self, role_id):
        try:
            svc.delete_role(self.appbuilder.sm, self._role(role_id))
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return self._back(role_id)
        flash(gettext("Role deleted"), "success")
        return redirect(url_for(".matrix"))

    @expose("/restore", methods=["POST"])
    @has_access
    def restore(self):
        if request.form.get("confirm") != "yes":
            flash(gettext("Please confirm restoring the default roles"), "warning")
            return redirect(url_for(".matrix"))
        svc.restore_defaults(current_app.appbuilder)
        flash(gettext("The five default roles have their default rights again"), "success")
        return redirect(url_for(".matrix"))
