"""Fixtures: one app per test session on SQLite (or CRM_TEST_DATABASE_URL), migrated by
`crm init`; one named user per role; business tables emptied before every test."""

import contextvars
import itertools
import os
import re
import tempfile

import pytest
from sqlalchemy import text

PASSWORD = "Test-Pass-2026!"
TEST_DB_URL = os.environ.get("CRM_TEST_DATABASE_URL")

# username → (role, branch code)
USERS = {
    "admin": ("Admin", "HQ"),
    "director": ("SalesDirector", "HQ"),
    "am1": ("AccountManager", "SH"),
    "am2": ("AccountManager", "BJ"),
    "agent": ("ServiceAgent", "SH"),
    "exec": ("Executive", "HQ"),
}

BUSINESS_TABLES = [
    "audit_log",
    "service_round",
    "service",
    "churn_measure",
    "churn",
    "plan",
    "opportunity",
    "campaign_customer",
    "campaign",
    "order_line",
    "sales_order",
    "activity",
    "contact",
    "customer",
    "stock",
    "product",
    "crm_counter",
    "revenue_month",  # kept by triggers: empty once the orders are gone, emptied in case
    "revenue_customer_year",
]

_ip = itertools.count(1)


def _reset_postgres(url):
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    instance = tempfile.mkdtemp(prefix="crm-test-")
    os.environ["CRM_INSTANCE_DIR"] = instance
    url = TEST_DB_URL or f"sqlite:///{instance}/test.db"
    if TEST_DB_URL:
        _reset_postgres(url)
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "ADMIN_PASSWORD": PASSWORD,
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        from app.services.setup import init_all

        init_all(app.appbuilder)
        _make_users(app)
    yield app
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _make_users(app):
    from app.extensions import db
    from app.models import Branch

    sm = app.appbuilder.sm
    hq = db.session.execute(db.select(Branch).where(Branch.code == "HQ")).scalar_one()
    branches = {"HQ": hq}
    for code, name in (("SH", "上海分公司"), ("BJ", "北京分公司")):
        branch = Branch(name=name, code=code, parent_id=hq.id)
        db.session.add(branch)
        branches[code] = branch
    db.session.commit()
    for username, (role, code) in USERS.items():
        user = sm.find_user(username=username)
        if user is None:
            user = sm.add_user(username, username, "测试", f"{username}@example.com", sm.find_role(role), PASSWORD)
        user.branch_id = branches[code].id
    db.session.commit()


@pytest.fixture(autouse=True)
def clean(app):
    """Empty the business tables so each test starts from the same state."""
    from app.extensions import db

    with app.app_context():
        for table in BUSINESS_TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()
    yield


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def users(app):
    """username → user id."""
    with app.app_context():
        sm = app.appbuilder.sm
        return {name: sm.find_user(username=name).id for name in USERS}


def csrf_of(html):
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    if meta:
        return meta.group(1)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    return match.group(1) if match else None


def isolated(call, *args, **kw):
    """Run a test-client request outside the test's own app context. Flask would otherwise
    reuse that context, so `g` (CSRF token, permission caches, user) would leak between
    requests of different sessions."""
    return contextvars.Context().run(call, *args, **kw)


class CrmClient:
    """A logged-in browser: remembers its CSRF token and posts forms with it."""

    def __init__(self, app, username=None):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = f"10.9.{next(_ip) // 250}.{next(_ip) % 250 + 1}"
        self.csrf = None
        if username:
            self.login(username)

    def login(self, username, password=PASSWORD):
        page = isolated(self.client.get, "/login/")
        self.csrf = csrf_of(page.get_data(as_text=True))
        response = isolated(
            self.client.post,
            "/login/",
            data={"username": username, "password": password, "csrf_token": self.csrf},
        )
        # logging in starts a new session: take the token of the new one
        self.csrf = csrf_of(isolated(self.client.get, "/").get_data(as_text=True)) or self.csrf
        return response

    def get(self, url, **kw):
        return isolated(self.client.get, url, **kw)

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return isolated(self.client.post, url, data=data, **kw)


@pytest.fixture
def browser(app):
    """browser('am1') → a logged-in CrmClient."""
    return lambda username=None: CrmClient(app, username)


class ApiClient:
    def __init__(self, app, username):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = f"10.8.{next(_ip) // 250}.{next(_ip) % 250 + 1}"
        r = isolated(
            self.client.post,
            "/api/v1/security/login",
            json={"username": username, "password": PASSWORD, "provider": "db"},
        )
        assert r.status_code == 200, r.get_data(as_text=True)
        self.headers = {"Authorization": f"Bearer {r.json['access_token']}"}

    def __getattr__(self, method):
        def call(url, **kw):
            kw.setdefault("headers", {}).update(self.headers)
            return isolated(getattr(self.client, method), url, **kw)

        return call


@pytest.fixture
def api(app):
    """api('am1').get('/api/v1/customer/') → JWT-authenticated calls."""
    return lambda username: ApiClient(app, username)
