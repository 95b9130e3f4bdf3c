"""The main pages as a user sees them: headless chromium (Debian's package) renders the
login page, home page, customer list, add form and a customer page from a live server,
without console errors (CSP violations included); screenshots go to the temp directory."""

import re
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import factories as f
from tests.test_reports_browser import CHROMIUM, SessionCookie, chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
SHOTS = Path(tempfile.gettempdir()) / "crm-pages"
MENU = ["基础数据", "客户管理", "营销管理", "服务管理", "统计报表", "权限管理"]


def serve(app, cookie=None):
    wsgi = SessionCookie(app.wsgi_app, f"session={cookie}") if cookie else app.wsgi_app
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def live(app, browser, ctx):
    """url(path, user=None) → the address of a live server, logged in as `user`."""
    servers = []
    server_name = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = None  # answer on the loopback port

    def url(path, user=None):
        cookie = browser(user).client.get_cookie("session").value if user else None
        server = serve(app, cookie)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield url
    for server in servers:
        server.shutdown()
    app.config["SERVER_NAME"] = server_name


def render(url, name):
    SHOTS.mkdir(exist_ok=True)
    shot = SHOTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    chromium(url, f"--screenshot={shot}", "--window-size=1400,1000")
    dom, console = chromium(url, "--dump-dom")
    errors = [line for line in console if re.search(r"error|refused|uncaught|failed", line, re.I)]
    return dom, errors, shot


def test_login_page(live):
    dom, errors, shot = render(live("/login/"), "login")
    assert 'name="username"' in dom and "客户关系管理" in dom
    assert errors == [] and shot.stat().st_size > 5_000


def test_home_page_menu_follows_the_modules(live):
    dom, errors, _shot = render(live("/", "admin"), "home")
    navbar = dom[dom.find('class="nav navbar-nav"') : dom.find('class="nav navbar-nav navbar-right"')]
    positions = [navbar.find(label) for label in MENU]
    assert -1 not in positions, positions
    assert positions == sorted(positions)
    assert errors == []


def test_customer_pages(live):
    pk = f.customer("am1", name="上海浏览器测试有限公司", phone="021-12345678")
    f.contact(pk, name="张浏览", is_primary=True)
    for path, name, expect in [
        ("/customerview/list/", "customer-list", "上海浏览器测试有限公司"),
        ("/customerview/add", "customer-add", 'name="name"'),
        (f"/customerview/show/{pk}", "customer-show", "张浏览"),
    ]:
        dom, errors, shot = render(live(path, "am1"), name)
        assert expect in dom, name
        assert errors == [], (name, errors)
        assert shot.stat().st_size > 10_000
