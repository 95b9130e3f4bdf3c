"""GET /api/v1/<resource>/export (xlsx) and POST /api/v1/<resource>/import (SPEC §4).

Export takes the list endpoint's `q` (rison: filters, order_column, order_direction) and the
caller's data scope; import takes a multipart `file` and `dry_run=1` to preview, answering
{created, updated, unchanged, errors: [{row, column, message}], warnings: [...]}; warnings (possible
duplicate customers, with `customers` [{id (null when out of scope), no, name, manager}])
do not stop the import."""

from flask import request
from flask_appbuilder.api import BaseApi, expose, rison
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext

from app.api.base import CrmModelApi
from app.api.resources import RESOURCES
from app.security import current_user_obj
from app.spreadsheets.export import Layout, export_filename, export_query, file_response, write_workbook
from app.spreadsheets.importers import IMPORTERS
from app.spreadsheets.reader import read_table
from app.spreadsheets.safety import FileRejected, check_upload


def _registered(cls, appbuilder):
    return next(v for v in appbuilder.baseviews if type(v) is cls)


def _list_view(model, permission, appbuilder):
    """The list screen of `model`: the export uses its columns and labels."""
    from app.views.base import CrmModelView

    for view in appbuilder.baseviews:
        if isinstance(view, CrmModelView) and view.datamodel.obj is model and view.class_permission_name == permission:
            return view
    return None


class SheetApi(BaseApi):
    resource_api = None  # the ModelRestApi class of this resource
    allow_browser_login = False
    method_permission_name = {"export": "export", "import_file": "import"}
    openapi_spec_tag = "Spreadsheets"

    @expose("/export", methods=["GET"])
    @protect()
    @rison()
    def export(self, **kwargs):
        """The resource's records as .xlsx, within the caller's data scope.
        ---
        get:
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  type: object
          responses:
            200:
              description: an .xlsx workbook
            400:
              description: bad filter
        """
        api = _registered(self.resource_api, self.appbuilder)
        view = _list_view(api.datamodel.obj, self.class_permission_name, self.appbuilder)
        if view is None:
            return self.response_404()
        args = kwargs.get("rison", {})
        try:
            filters = api._handle_filters_args(args)
        except Exception:  # FAB raises for unknown columns / operators
            return self.response_400(message=gettext("Not a valid filter."))
        order_column = args.get("order_column", "")
        if order_column and order_column not in api.order_columns:
            return self.response_400(message=gettext("Not a valid order column."))
        query = export_query(view, filters, order_column, args.get("order_direction", "asc"))
        path = write_workbook(Layout.for_view(view), query)
        return file_response(path, export_filename(self.resource_name))


class ImportApi(SheetApi):
    importer = None

    @expose("/import", methods=["POST"])
    @protect()
    def import_file(self):
        """Import a .xlsx / .csv file (multipart `file`); `dry_run=1` only previews.
        ---
        post:
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file:
                      type: string
                      format: binary
                    dry_run:
                      type: string
          responses:
            200:
              description: '{created, updated, unchanged, errors: [{row, column, message}], warnings}'
            400:
              description: problems found, nothing written (same body), or a file refused
            413:
              description: file or row count over the limit
        """
        upload = request.files.get("file")
        dry_run = request.values.get("dry_run", "0").lower() in ("1", "true", "yes")
        try:
            if upload is None or not upload.filename:
                raise FileRejected(gettext("Choose a file to upload."))
            data = upload.read()
            table = read_table(check_upload(upload.filename, data), data)
            result = self.importer(current_user_obj()).run(table, dry_run=dry_run)
        except FileRejected as exc:
            message = str(exc.message)
            error = {"row": None, "column": None, "message": message}
            return self.response(
                exc.status, message=message, created=0, updated=0, unchanged=0, errors=[error], warnings=[]
            )
        body = result.as_dict()
        if body["errors"] and not dry_run:
            body.update(created=0, updated=0, unchanged=0)
            return self.response(400, message=gettext("Problems found; nothing was written."), **body)
        return self.response(200, **body)


def _sheet_api(resource_api):
    name = resource_api.resource_name
    importer = IMPORTERS.get(name)
    body = {
        "resource_name": name,
        "class_permission_name": resource_api.class_permission_name,
        "resource_api": resource_api,
    }
    if importer is not None:
        body["importer"] = importer
        return type(f"{importer.model.__name__}ImportApi", (ImportApi,), body)
    body["method_permission_name"] = {"export": "export"}
    return type(f"{resource_api.__name__.replace('Api', '')}ExportApi", (SheetApi,), body)


APIS = [_sheet_api(api) for api in RESOURCES if issubclass(api, CrmModelApi)]
