"""CrmModelApi: FAB's ModelRestApi with data scope, the screens' permission names,
foreign keys as plain `*_id` fields, and domain errors as 400/403/404/409."""

from flask import current_app
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_babel import gettext
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema, auto_field
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import DomainError
from app.security import FilterInScope

# API method → the permission the screens use, so one tick governs both (issue 9).
METHOD_PERMISSIONS = {
    "get_list": "list",
    "get": "show",
    "info": "list",
    "post": "add",
    "put": "edit",
    "delete": "delete",
}


# Columns the CRM fills in when the client leaves them out (customer and order numbers).
GENERATED = ("no",)


def error_body(exc):
    """The JSON body of a domain error: {message, field}."""
    body = {"message": str(exc.message)}
    if exc.field:
        body["field"] = exc.field
    return body


class FkSchemaConverter(Model2SchemaConverter):
    """FAB's converter leaves foreign keys out (include_fk=False); SPEC §2 names them."""

    def _meta_schema_factory(self, columns, model, class_mixin, parent_schema_name=None):
        _model = model

        class Meta:
            model = _model
            fields = columns
            load_instance = True
            include_fk = True
            sqla_session = current_app.appbuilder.session

        optional = {name: auto_field(required=False) for name in GENERATED if name in (columns or ())}
        MetaSchema = type("MetaSchema", (SQLAlchemyAutoSchema, class_mixin), {"Meta": Meta, **optional})
        return MetaSchema


class CrmModelApi(ModelRestApi):
    allow_browser_login = False
    model2schemaconverter = FkSchemaConverter
    method_permission_name = METHOD_PERMISSIONS
    page_size = 20
    max_page_size = 100

    def __init__(self, **kwargs):
        self.base_filters = list(type(self).base_filters or []) + [["id", FilterInScope, None]]
        super().__init__(**kwargs)

    def _domain(self, call):
        try:
            return call()
        except DomainError as exc:
            db.session.rollback()
            return self.response(exc.status, **error_body(exc))
        except StaleDataError:
            db.session.rollback()
            return self.response(
                409, message=gettext("This record was changed by someone else meanwhile; reload and try again.")
            )

    def post_headless(self):
        return self._domain(super().post_headless)

    def put_headless(self, pk):
        def run():
            seen = (self._json_body() or {}).get("version")
            item = self.datamodel.get(pk, self._base_filters)
            if item is not None and seen is not None and str(seen) != str(item.version):
                from app.models import Conflict

                raise Conflict(gettext("This record was changed by someone else meanwhile; reload and try again."))
            return super(CrmModelApi, self).put_headless(pk)

        return self._domain(run)

    def delete_headless(self, pk):
        return self._domain(lambda: super(CrmModelApi, self).delete_headless(pk))

    @staticmethod
    def _json_body():
        from flask import request

        return request.get_json(silent=True) if request.is_json else None
