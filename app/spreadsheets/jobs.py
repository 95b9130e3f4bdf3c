"""Import jobs for the 数据导入 pages: the upload is kept in instance/imports/<id>/, the
preview and the commit run in a background thread, and their progress and result are
written to status.json there, so any worker process can answer the page's polling."""

import json
import os
import secrets
import shutil
import threading
import time
from pathlib import Path

from flask import current_app, g
from flask_babel import force_locale, get_locale

from app.extensions import db
from app.models import CrmUser, DomainError
from app.spreadsheets.importers import IMPORTERS
from app.spreadsheets.reader import read_table

KEEP_SECONDS = 24 * 3600


def jobs_dir():
    path = Path(current_app.config.get("IMPORT_DIR") or Path(current_app.config["INSTANCE_DIR"]) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_job(resource, user_id, filename, kind, data):
    _clean_old()
    job_id = secrets.token_urlsafe(12)
    folder = jobs_dir() / job_id
    folder.mkdir(mode=0o700)
    (folder / "upload").write_bytes(data)
    meta = {"resource": resource, "user_id": user_id, "filename": filename, "kind": kind}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
    return job_id


def load_job(job_id, resource, user_id):
    """The job's meta and status, or None when it does not exist or is someone else's."""
    if not job_id or not job_id.replace("-", "").replace("_", "").isalnum():
        return None
    folder = jobs_dir() / job_id
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if meta["resource"] != resource or meta["user_id"] != user_id:
        return None
    try:
        meta["status"] = json.loads((folder / "status.json").read_text())
    except (OSError, ValueError):
        meta["status"] = {"state": "new"}
    return meta


def start(job_id, mode):
    """Run the preview ('preview') or the real import ('commit') in a background thread."""
    _write_status(jobs_dir() / job_id, {"state": "running", "mode": mode, "phase": "queued", "done": 0, "total": 0})
    app = current_app._get_current_object()
    locale = str(get_locale() or app.config.get("BABEL_DEFAULT_LOCALE", "zh"))
    thread = threading.Thread(target=_run, args=(app, job_id, mode, locale), daemon=True, name=f"import-{job_id}")
    thread.start()
    return thread


def _run(app, job_id, mode, locale):
    with app.app_context(), force_locale(locale):
        folder = jobs_dir() / job_id
        meta = json.loads((folder / "meta.json").read_text())
        g.crm_actor_id = meta["user_id"]  # audit and created_by: the importing user
        last = [0.0]

        def progress(phase, done, total):
            now = time.monotonic()
            if now - last[0] >= 0.3:
                last[0] = now
                _write_status(folder, {"state": "running", "mode": mode, "phase": phase, "done": done, "total": total})

        status = {"state": "done", "mode": mode}
        try:
            user = db.session.get(CrmUser, meta["user_id"])
            importer = IMPORTERS[meta["resource"]](user)
            table = read_table(meta["kind"], (folder / "upload").read_bytes())
            result = importer.run(table, dry_run=(mode == "preview"), progress=progress)
            status["result"] = result.as_dict()
            status["written"] = mode == "commit" and not result.errors
        except DomainError as exc:
            status.update(state="failed", message=str(exc.message))
        except Exception:
            app.logger.exception("import job %s failed", job_id)
            status.update(state="failed", message="Internal error")
        finally:
            db.session.rollback()
            db.session.remove()
        if status.get("written"):
            (folder / "upload").unlink(missing_ok=True)
        _write_status(folder, status)


def _write_status(folder, status):
    tmp = folder / f"status.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(json.dumps(status, ensure_ascii=False, default=str))
    os.replace(tmp, folder / "status.json")


def _clean_old():
    cutoff = time.time() - KEEP_SECONDS
    for folder in jobs_dir().iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
