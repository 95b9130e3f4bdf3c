"""Request-level hardening and error mapping: CSP with nonces, security headers,
domain errors → HTTP status (API) or flash message (UI), no stack traces to users."""

import secrets

from flask import flash, g, jsonify, redirect, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from app.models import DomainError
from app.models.base import N_


def _nonce():
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def is_api_request():
    return request.path.startswith("/api/")


def init_app(app):
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.context_processor
    def _csp_context():
        return {"csp_nonce": _nonce}

    @app.after_request
    def _security_headers(response):
        nonce = g.get("csp_nonce")
        script_src = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(DomainError)
    def _domain_error(exc):
        from app.extensions import db

        db.session.rollback()
        message = str(exc.message)
        if is_api_request():
            body = {"message": message}
            if exc.field:
                body["field"] = exc.field
            return jsonify(body), exc.status
        if exc.status == 404:
            return message, 404
        flash(message, "danger")
        return redirect(request.referrer if _same_origin(request.referrer) else "/")

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if isinstance(exc, HTTPException):
            return _http_error(app, exc)
        app.logger.exception("unhandled error")
        from app.extensions import db

        db.session.rollback()
        if app.debug or app.testing and app.config.get("CRM_RAISE_ERRORS"):
            raise exc
        if is_api_request():
            return jsonify({"message": "Internal error"}), 500
        return "服务器内部错误 / Internal server error", 500


# What a user reads for an HTTP error (translated; the English msgid is the API's text).
HTTP_ERRORS = {
    400: N_("The request was not valid. Reload the page and try again."),
    403: N_("You are not allowed to open this page or do this."),
    404: N_("The page or record was not found, or it is not in your data scope."),
    405: N_("This action is not available here."),
    413: N_("The file is too large."),
    429: N_("Too many attempts. Please wait a minute and try again."),
}


def _http_error(app, exc):
    """4xx pages in the user's language inside the app's layout; JSON under /api/."""
    text = HTTP_ERRORS.get(exc.code)
    if text is None or exc.code < 400:
        return exc
    message = exc.description if is_api_request() and exc.code == 400 else gettext(text)
    if is_api_request():
        return jsonify({"message": message}), exc.code
    try:
        return render_template(
            "crm/error.html",
            code=exc.code,
            message=message,
            appbuilder=app.appbuilder,
            base_template=app.appbuilder.base_template,
        ), exc.code
    except Exception:  # the layout needs the database; never fail while reporting a failure
        app.logger.exception("error page")
        return f"{exc.code} {message}", exc.code


def _same_origin(url):
    """A redirect target on this server only (no //evil, no scheme)."""
    if not url:
        return False
    from urllib.parse import urlparse

    target = urlparse(url)
    here = urlparse(request.host_url)
    return target.scheme in ("http", "https") and target.netloc == here.netloc
