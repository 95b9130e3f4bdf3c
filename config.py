"""Settings for the CRM. Every value can be overridden from a CRM_* environment variable."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CRM_INSTANCE_DIR", BASE_DIR / "instance"))


def _env(name, default=None):
    return os.environ.get(f"CRM_{name}", default)


def _secret_key():
    """CRM_SECRET_KEY, else a key generated once and kept in instance/ (never in the repo)."""
    if _env("SECRET_KEY"):
        return _env("SECRET_KEY")
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'crm.db'}")
SQLALCHEMY_TRACK_MODIFICATIONS = False
ADMIN_PASSWORD = _env("ADMIN_PASSWORD")
CHURN_MONTHS = int(_env("CHURN_MONTHS", "6"))
SERVICE_OVERDUE_DAYS = int(_env("SERVICE_OVERDUE_DAYS", "3"))
PRODUCTION = _env("ENV", "development") == "production"

# Languages: Chinese first.
BABEL_DEFAULT_LOCALE = _env("LOCALE", "zh")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "中文"},
    "en": {"flag": "gb", "name": "English"},
}

# Flask-AppBuilder
APP_NAME = "客户关系管理"
APP_THEME = ""  # stock bootstrap: the other themes load Google Fonts
AUTH_TYPE = 1  # AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
FAB_ADD_SECURITY_API = False  # FAB 5.3 security APIs fail on FK columns; screens cover it
FAB_API_SWAGGER_UI = not PRODUCTION
FAB_API_MAX_PAGE_SIZE = 100
FAB_UPDATE_PERMS = False  # `crm init` writes permissions after migrating
FAB_SECURITY_MANAGER_CLASS = "app.security.CrmSecurityManager"
FAB_PASSWORD_COMPLEXITY_ENABLED = True
FAB_PASSWORD_COMPLEXITY_VALIDATOR = "app.security.password_policy"

# Security
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env("SECURE_COOKIES", "0") == "1"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "5 per minute")
# Proxies in front (nginx = 1): client address and scheme come from their X-Forwarded-* headers,
# so the login limit counts per client, not per proxy. 0 = served directly.
PROXY_COUNT = int(_env("PROXY_COUNT", "0"))
PROPAGATE_EXCEPTIONS = False
JWT_ACCESS_TOKEN_EXPIRES = 3600 * 8

# Spreadsheets
IMPORT_MAX_BYTES = int(_env("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(_env("IMPORT_MAX_ROWS", "200000"))
MAX_CONTENT_LENGTH = IMPORT_MAX_BYTES + 1024 * 1024
FAB_CREATE_DB = False  # the schema is Alembic's (crm init), never create_all
# FAB puts its own catalog first and merges ours over it, so ours wins for FAB's strings.
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
