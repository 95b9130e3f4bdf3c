"""数据导入 pages, one per importable resource: template download, upload, preview (every
problem by row and column), commit all-or-nothing, progress while it runs."""

from flask import abort, jsonify, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from app.security import current_user_obj
from app.spreadsheets import jobs
from app.spreadsheets.export import XLSX
from app.spreadsheets.importers import IMPORTERS
from app.spreadsheets.safety import FileRejected, check_upload
from app.spreadsheets.template import template_bytes

SHOWN_ERRORS = 500
METHODS = ("index", "template", "upload", "job", "status", "commit")


class ImportView(BaseView):
    """Base of the per-resource import pages; `importer` and the permission name set by
    `import_view`. Every page needs can_import on the resource's view-menu."""

    importer = None
    default_view = "index"
    method_permission_name = {m: "import" for m in METHODS}

    @expose("/")
    @has_access
    def index(self):
        return self._index()

    def _index(self, error=None, status=200):
        body = self.render_template(
            "spreadsheets/import.html",
            importer=self.importer,
            endpoint=self.endpoint,
            error=error,
            max_mb=round(self.appbuilder.app.config["IMPORT_MAX_BYTES"] / 1024 / 1024, 1),
            max_rows=self.appbuilder.app.config["IMPORT_MAX_ROWS"],
        )
        return make_response(body, status)

    @expose("/template")
    @has_access
    def template(self):
        response = make_response(template_bytes(self.importer))
        response.headers["Content-Type"] = XLSX
        response.headers["Content-Disposition"] = f'attachment; filename="{self.importer.resource}-template.xlsx"'
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._index(str(_l("Choose a file to upload.")), 400)
        data = upload.read()
        try:
            kind = check_upload(upload.filename, data)
        except FileRejected as exc:
            return self._index(str(exc.message), exc.status)
        job_id = jobs.create_job(self.importer.resource, current_user_obj().id, upload.filename, kind, data)
        jobs.start(job_id, "preview")
        return redirect(url_for(f"{self.endpoint}.job", job_id=job_id))

    @expose("/job/<job_id>")
    @has_access
    def job(self, job_id):
        meta = self._job(job_id)
        status = meta["status"]
        errors = (status.get("result") or {}).get("errors", [])
        warnings = (status.get("result") or {}).get("warnings", [])
        return self.render_template(
            "spreadsheets/job.html",
            importer=self.importer,
            endpoint=self.endpoint,
            job_id=job_id,
            meta=meta,
            status=status,
            result=status.get("result") or {},
            errors=errors[:SHOWN_ERRORS],
            more_errors=max(len(errors) - SHOWN_ERRORS, 0),
            warnings=warnings[:SHOWN_ERRORS],
            more_warnings=max(len(warnings) - SHOWN_ERRORS, 0),
        )

    @expose("/job/<job_id>/status")
    @has_access
    def status(self, job_id):
        status = dict(self._job(job_id)["status"])
        if "result" in status:  # the page reloads for the details
            status["result"] = {k: v for k, v in status["result"].items() if k not in ("errors", "warnings")}
        return jsonify(status)

    @expose("/job/<job_id>/commit", methods=["POST"])
    @has_access
    def commit(self, job_id):
        status = self._job(job_id)["status"]
        result = status.get("result") or {}
        if status.get("state") != "done" or status.get("mode") != "preview" or result.get("errors"):
            abort(409)
        jobs.start(job_id, "commit")
        return redirect(url_for(f"{self.endpoint}.job", job_id=job_id))

    def _job(self, job_id):
        meta = jobs.load_job(job_id, self.importer.resource, current_user_obj().id)
        if meta is None:
            abort(404)
        return meta


def import_view(importer):
    name = f"{importer.__name__.replace('Importer', '')}ImportView"
    return type(
        name,
        (ImportView,),
        {
            "importer": importer,
            "route_base": f"/crm/import/{importer.resource}",
            "class_permission_name": importer.permission,
        },
    )


IMPORT_VIEWS = [import_view(importer) for importer in IMPORTERS.values()]
