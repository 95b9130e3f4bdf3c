"""Headless chromium (Debian's package) loads the cockpit and a report from a live server
and plotly draws its SVG, with no console errors (CSP violations included)."""

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import factories as f

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (apt-get install -y chromium)"
)
SCREENSHOT = Path(tempfile.gettempdir()) / "crm-cockpit.png"


class SessionCookie:
    """WSGI wrapper giving every request of the browser the logged-in session cookie."""

    def __init__(self, app, cookie):
        self.app, self.cookie = app, cookie

    def __call__(self, environ, start_response):
        environ["HTTP_COOKIE"] = self.cookie
        return self.app(environ, start_response)


@pytest.fixture
def live(app, browser, ctx):
    customer = f.customer("am1", level="key")
    f.order(customer, ((3, 1200),), date=dt.date.today())
    f.service(customer, type="complaint")
    client = browser("exec")
    cookie = client.client.get_cookie("session")
    assert cookie is not None
    server_name = app.config.get("SERVER_NAME")
    app.config["SERVER_NAME"] = None  # answer on the loopback port
    server = make_server("127.0.0.1", 0, SessionCookie(app.wsgi_app, f"session={cookie.value}"), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    app.config["SERVER_NAME"] = server_name


def chromium(url, *extra):
    profile = tempfile.mkdtemp(prefix="crm-chromium-")
    try:
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--enable-logging=stderr",
                "--v=0",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=8000",
                *extra,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    return result.stdout, console


@pytest.mark.parametrize("path", ["/reports/cockpit/", "/reports/composition/?by=level"])
def test_plotly_draws_svg_without_console_errors(live, path):
    dom, console = chromium(live + path, "--dump-dom")
    assert 'class="main-svg"' in dom, dom[:2000]
    drawn = len(re.findall(r'data-drawn="1"', dom))
    assert drawn == len(re.findall(r'class="crm-chart', dom)) > 0
    errors = [line for line in console if re.search(r"error|refused|uncaught|failed", line, re.I)]
    assert errors == []


def test_cockpit_screenshot(live):
    SCREENSHOT.unlink(missing_ok=True)
    chromium(live + "/reports/cockpit/", f"--screenshot={SCREENSHOT}", "--window-size=1366,1800")
    assert SCREENSHOT.exists() and SCREENSHOT.stat().st_size > 10_000
