"""The report, cockpit, workbench and admin pages over the demo data, as headless chromium
(Debian's package) draws them at laptop and phone width: every chart drawn, no console error,
no English left in the Chinese UI. Screenshots go to <tmp>/crm-review/ for a human to read."""

import html
import re
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CrmUser
from app.services.demo import make_demo
from tests.conftest import PASSWORD
from tests.test_browser_pages import serve
from tests.test_reports_browser import CHROMIUM, chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
SHOTS = Path(tempfile.gettempdir()) / "crm-review"
LAPTOP, PHONE = "1400,2400", "390,3200"  # chromium's window is at least 500 wide: phones go in a frame


class PhoneFrame:
    """Test-server middleware: /_phone?w=390&h=3200&src=/path shows `src` in a frame of a
    phone's width; the app's anti-framing headers are dropped for this local server only."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/_phone":
            args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
            page = (
                '<html><body style="margin:0"><iframe style="border:0" width="{w}" height="{h}" src="{src}">'
                "</iframe></body></html>"
            ).format(w=int(args["w"]), h=int(args["h"]), src=html.escape(args["src"]))
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [page.encode()]

        def framable(status, headers, exc_info=None):
            kept = []
            for name, value in headers:
                if name.lower() == "x-frame-options":
                    continue
                if name.lower() == "content-security-policy":
                    value = value.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
                kept.append((name, value))
            return start_response(status, kept, exc_info)

        return self.app(environ, framable)


# (screenshot name, path, user, window size, text the page must show)
PAGES = [
    ("cockpit-laptop", "/reports/cockpit/", "demo_exec", LAPTOP, "驾驶舱"),
    ("cockpit-phone", "/reports/cockpit/", "demo_exec", PHONE, "驾驶舱"),
    ("contribution", "/reports/contribution/", "demo_director", LAPTOP, "客户贡献分析"),
    ("composition", "/reports/composition/?by=region", "demo_director", LAPTOP, "客户构成分析"),
    ("service", "/reports/service/", "demo_director", LAPTOP, "客户服务分析"),
    ("churn", "/reports/churn/", "demo_director", LAPTOP, "客户流失分析"),
    ("funnel", "/reports/funnel/", "demo_director", LAPTOP, "销售漏斗"),
    ("campaign-roi", "/reports/campaign_roi/", "demo_director", LAPTOP, "营销活动"),
    ("funnel-phone", "/reports/funnel/", "demo_director", PHONE, "销售漏斗"),
    ("workbench-am", "/", "demo_am1", LAPTOP, "工作台"),
    ("workbench-director", "/", "demo_director", LAPTOP, "工作台"),
    ("matrix", "/crm/permissions/", "admin", LAPTOP, "数据范围"),
    ("users", "/users/list/", "admin", LAPTOP, "用户"),
    ("user-add", "/users/add", "admin", LAPTOP, "密码"),
    ("branches", "/branchview/list/", "admin", LAPTOP, "分公司"),
]
# English words that would betray a missing translation in a zh page (visible text only)
ENGLISH = re.compile(r">\s*(List|Add|Edit|Show|Delete|Search|Records?|Actions?|Total|Branch|Manager|Year|Export)\s*<")


@pytest.fixture(scope="module")
def demo(app):
    """200 demo customers; the demo users log in with the test password."""
    with app.app_context():
        make_demo(customers=200)
        sm = app.appbuilder.sm
        for user in db.session.execute(select(CrmUser).where(CrmUser.username.like("demo_%"))).scalars():
            sm.reset_password(user.id, PASSWORD)
            user.must_change_password = False
        db.session.commit()


@pytest.fixture
def demo_data(app, demo):
    """The `clean` fixture empties business tables before each test: load them again once
    per test (module-scoped users, fresh customers)."""
    with app.app_context():
        make_demo(customers=200)


@pytest.fixture
def live(app, browser, ctx):
    """url(path, user, size) → the page on a live server, logged in as `user`, at `size`."""
    servers = []
    server_name = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = None  # answer on the loopback port

    def url(path, user, size):
        wsgi_app = app.wsgi_app
        app.wsgi_app = PhoneFrame(wsgi_app)
        try:
            server = serve(app, browser(user).client.get_cookie("session").value)
        finally:
            app.wsgi_app = wsgi_app
        servers.append(server)
        base = f"http://127.0.0.1:{server.server_port}"
        if size != PHONE:
            return base + path
        width, height = size.split(",")
        return f"{base}/_phone?" + urlencode({"w": width, "h": height, "src": path})

    yield url
    for server in servers:
        server.shutdown()
    app.config["SERVER_NAME"] = server_name


@pytest.mark.parametrize(("name", "path", "user", "size", "expect"), PAGES, ids=[p[0] for p in PAGES])
def test_page_reads_right(live, demo_data, name, path, user, size, expect):
    SHOTS.mkdir(exist_ok=True)
    shot = SHOTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    url = live(path, user, size)
    chromium(url, f"--screenshot={shot}", f"--window-size={size.replace('390,', '500,')}", "--hide-scrollbars")
    dom, console = chromium(live(path, user, LAPTOP), "--dump-dom", f"--window-size={LAPTOP}")
    assert expect in dom, name
    errors = [line for line in console if re.search(r"error|refused|uncaught|failed", line, re.I)]
    assert errors == [], errors
    charts = len(re.findall(r'class="crm-chart', dom))
    assert len(re.findall(r'data-drawn="1"', dom)) == charts
    body = dom[dom.find("<body") :]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    assert ENGLISH.findall(body) == []
    assert shot.stat().st_size > 10_000
