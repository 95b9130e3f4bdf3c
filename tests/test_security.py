"""Security basics (SPEC §5): CSRF, no state change over GET, login rate limit on the UI
and the API, password policy, cookies and headers, safe redirects, production errors."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask_appbuilder.exceptions import PasswordComplexityValidationError

from app.extensions import db
from app.models import Customer
from app.security import password_policy
from tests import factories
from tests.conftest import PASSWORD, CrmClient, csrf_of, isolated

ROOT = Path(__file__).resolve().parent.parent


def customer_exists(pk):
    db.session.expire_all()
    return db.session.get(Customer, pk) is not None


# ---------------------------------------------------------------- CSRF and GET


def test_form_post_without_csrf_token_is_refused(browser, ctx):
    b = browser("am1")
    r = b.post("/customerview/add", data={"name": "无令牌有限公司", "satisfaction": 3, "credit": 3}, csrf=False)
    assert r.status_code == 400
    assert db.session.query(Customer).filter_by(name="无令牌有限公司").count() == 0


def test_post_with_a_foreign_csrf_token_is_refused(browser, ctx):
    pk = factories.customer("am1")
    other = browser("director")
    r = browser("am1").post(f"/customerview/delete/{pk}", data={"csrf_token": other.csrf})
    assert r.status_code == 400
    assert customer_exists(pk)


@pytest.mark.parametrize(
    "url",
    ["/customerview/delete/{pk}", "/customerview/action/transfer/{pk}", "/contactview/delete/{contact}"],
)
def test_get_on_a_mutating_url_changes_nothing(browser, ctx, url):
    pk = factories.customer("am1")
    contact = factories.contact(pk)
    r = browser("admin").get(url.format(pk=pk, contact=contact))
    assert r.status_code in (302, 404, 405)
    assert customer_exists(pk)
    assert db.session.get(factories.Contact, contact) is not None


# ---------------------------------------------------------------- login rate limit


def test_sixth_bad_ui_login_in_a_minute_is_refused(app):
    client = CrmClient(app)
    answers = [client.login("am1", "wrong-password-1").status_code for _ in range(5)]
    assert answers == [302] * 5  # back to the login form with a message
    assert client.login("am1", "wrong-password-1").status_code == 429
    assert client.login("am1", PASSWORD).status_code == 429  # even the right password, until the minute is over


def test_sixth_bad_api_login_in_a_minute_is_refused(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.77.0.1"

    def login(password):
        body = {"username": "am1", "password": password, "provider": "db"}
        return isolated(client.post, "/api/v1/security/login", json=body).status_code

    assert [login("wrong-password-1") for _ in range(5)] == [401] * 5
    assert login("wrong-password-1") == 429
    assert login(PASSWORD) == 429


def test_rate_limit_counts_per_client_address(app):
    locked = CrmClient(app)
    for _ in range(6):
        locked.login("am1", "wrong-password-1")
    assert CrmClient(app).login("am1").status_code == 302  # another address logs in fine


# ---------------------------------------------------------------- password policy


@pytest.mark.parametrize(
    "password, why",
    [
        ("Ab1!xyz", "shorter than 10"),
        ("am1-Strong-2026", "contains the user name"),
        ("password123", "common"),
        ("1234567890", "common"),
        ("qwertyuiop", "common"),
        ("aaaaaaaaaaaa", "one repeated character"),
    ],
)
def test_password_policy_refuses_weak_passwords(ctx, password, why):
    with pytest.raises(PasswordComplexityValidationError):
        password_policy(password, "am1")


def test_password_policy_accepts_a_strong_one(ctx):
    password_policy("Tiger-Lantern-4812", "am1")


def test_admin_cannot_create_a_user_with_a_weak_password(browser, ctx):
    sm = browser("admin").client.application.appbuilder.sm
    role = sm.find_role("AccountManager")
    form = {
        "username": "weakling",
        "first_name": "弱",
        "last_name": "密码",
        "email": "weakling@example.com",
        "active": "y",
        "roles": str(role.id),
        "password": "password123",
        "conf_password": "password123",
    }
    r = browser("admin").post("/users/add", data=form)
    assert r.status_code == 200  # the form again, with the policy's message
    assert sm.find_user(username="weakling") is None


# ---------------------------------------------------------------- cookies and headers


def test_security_headers_on_pages_and_api(browser, api):
    for r in (browser().get("/login/"), browser("am1").get("/customerview/list/"), api("am1").get("/api/v1/customer/")):
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "http" not in csp and "*" not in csp  # nothing but this server
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_is_httponly_and_samesite(app):
    client = CrmClient(app)
    r = client.login("am1")
    cookies = [v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
    assert cookies, r.headers
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)


def test_pages_carry_no_inline_handlers_or_foreign_scripts(browser):
    html = browser("am1").get("/customerview/list/").get_data(as_text=True)
    assert ' onclick="' not in html and 'src="http' not in html and 'href="http' not in html


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    "target", ["http://evil.example/", "//evil.example/x", "https:evil.example", "///evil.example"]
)
def test_login_refuses_an_off_site_next(app, target):
    client = CrmClient(app)
    page = isolated(client.client.get, "/login/")
    token = csrf_of(page.get_data(as_text=True))
    r = isolated(
        client.client.post,
        "/login/",
        query_string={"next": target},
        data={"username": "am1", "password": PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 302
    assert "evil.example" not in r.headers["Location"]


def test_language_switch_does_not_follow_a_foreign_referrer(browser):
    r = browser("am1").get("/lang/en", headers={"Referer": "http://evil.example/"})
    assert r.status_code == 302 and "evil.example" not in r.headers["Location"]


# ---------------------------------------------------------------- production config

PRODUCTION_PROBE = textwrap.dedent(
    """
    import json, sys
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SERVER_NAME": "localhost"})

    def boom():
        raise RuntimeError("secret-internal-detail")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    client = app.test_client()
    page, api = client.get("/boom"), client.get("/api/v1/boom")

    def login(address):
        body = {"username": "nobody", "password": "wrong-password", "provider": "db"}
        headers = {"X-Forwarded-For": address}
        return client.post("/api/v1/security/login", json=body, headers=headers).status_code

    print(json.dumps({
        "behind_proxy": [login("198.51.100.7") for _ in range(6)] + [login("198.51.100.8")],
        "debug": app.debug,
        "swagger": client.get("/swagger/v1").status_code,
        "page": [page.status_code, page.get_data(as_text=True)],
        "api": [api.status_code, api.get_data(as_text=True)],
    }))
    """
)


@pytest.fixture(scope="module")
def production(app):
    env = {**os.environ, "CRM_ENV": "production", "CRM_PROXY_COUNT": "1"}
    env.pop("FLASK_DEBUG", None)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE, url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_has_no_debugger_and_no_swagger_ui(production):
    assert production["debug"] is False
    assert production["swagger"] == 404


@pytest.mark.parametrize("kind", ["page", "api"])
def test_production_error_page_leaks_nothing(production, kind):
    status, body = production[kind]
    assert status == 500
    for leak in ("Traceback", "secret-internal-detail", "RuntimeError", ".py", "File "):
        assert leak not in body


def test_behind_a_proxy_the_login_limit_counts_per_client(production):
    assert production["behind_proxy"] == [401] * 5 + [429, 401]


def test_swagger_ui_is_there_in_development(browser):
    assert browser("admin").get("/swagger/v1").status_code == 200


def test_error_pages_speak_chinese_inside_the_layout(browser, ctx):
    director = browser("director")
    r = director.get("/customerview/transfer")  # admin only
    assert r.status_code == 403 and "您没有权限" in r.get_data(as_text=True)
    r = director.get("/customerview/show/999999")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "不存在" in html and "Not Found" not in html
    r = director.get("/no-such-page/")
    assert r.status_code == 404 and "返回工作台" in r.get_data(as_text=True)


def test_api_errors_stay_json(api, ctx):
    r = api("am1").get("/api/v1/customer/999999")
    assert r.status_code == 404 and r.is_json
