"""用户管理: FAB's user screens with branch, phone, one-time passwords, bulk branch moves,
last-admin protection and an audit entry for every change."""

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from app.extensions import db
from app.models import Branch, DomainError
from app.security import CrmUserDBModelView
from app.services import users as svc
from app.views.base import format_value


class CrmUserView(CrmUserDBModelView):
    label_columns = {
        **CrmUserDBModelView.label_columns,
        "must_change_password": _l("Must change password at next login"),
    }
    add_columns = CrmUserDBModelView.add_columns + ["must_change_password"]
    add_form_extra_fields = {
        **CrmUserDBModelView.add_form_extra_fields,
        "must_change_password": BooleanField(_l("Must change password at next login"), default=True),
    }
    list_columns = CrmUserDBModelView.list_columns
    formatters_columns = {
        c: format_value
        for c in ("active", "roles", "last_login", "phone", "email", "branch", "login_count", "fail_login_count")
    }

    def post_add(self, item):
        svc.audit_user_created(item)
        db.session.commit()

    def pre_update(self, item):
        svc.check_user_change(item, g.user)

    def post_update(self, item):
        db.session.commit()

    def pre_delete(self, item):
        svc.check_user_delete(item, g.user)

    def _edit(self, pk):
        try:
            return super()._edit(pk)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return None

    @action("move_branch", _l("Move to branch"), None, "fa-sitemap", single=False)
    def move_branch(self, items):
        ids = ",".join(str(item.id) for item in items)
        return redirect(url_for(".move_branch_form", ids=ids))

    @expose("/move-branch", methods=["GET", "POST"])
    @has_access
    def move_branch_form(self):
        ids = [int(i) for i in (request.values.get("ids") or "").split(",") if i.isdigit()]
        branches = db.session.execute(db.select(Branch).order_by(Branch.code)).scalars().all()
        if request.method == "POST":
            try:
                moved = svc.move_users(ids, request.form.get("branch_id", type=int))
            except DomainError as exc:
                db.session.rollback()
                flash(str(exc.message), "danger")
            else:
                flash(gettext("%(count)s user(s) moved", count=moved), "success")
                return redirect(url_for(".list"))
        users = [u for u in (db.session.get(self.datamodel.obj, i) for i in ids) if u is not None]
        return self.render_template("security/move_branch.html", users=users, branches=branches, ids=ids)


_ALWAYS_ALLOWED = {"static", "appbuilder.static", "AuthDBView.logout", "AuthDBView.login", "LocaleView.index"}


def init_app(app):
    @app.before_request
    def _must_change_password():
        """A user with a one-time password may do nothing else before choosing their own."""
        user = g.get("user")
        if user is None or not getattr(user, "is_authenticated", False) or request.path.startswith("/api/"):
            return None
        if not getattr(user, "must_change_password", False):
            return None
        if request.endpoint in _ALWAYS_ALLOWED or (request.endpoint or "").startswith("ResetMyPasswordView."):
            return None
        flash(gettext("Please choose a new password before you continue"), "warning")
        return redirect(url_for("ResetMyPasswordView.this_form_get"))
