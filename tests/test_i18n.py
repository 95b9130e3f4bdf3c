"""Chinese is the default UI language and complete, FAB's own strings included; English is the
second language (SPEC §5). The catalogs are checked against a fresh extraction of the code."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from translations import i18n

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
# Button and link texts that must not be left in English on a Chinese page.
ENGLISH_LEFTOVERS = [">Add<", ">Edit<", ">Delete<", ">Show<", ">Search<", "Add Filter", "Record Count", ">OK<"]


def text_of(response):
    """The page without its scripts and styles (they hold English identifiers, not UI text)."""
    html = response.get_data(as_text=True)
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)


@pytest.fixture(scope="module")
def template():
    """What the code asks to translate, extracted now (the repo's messages.pot is not touched)."""
    return i18n.extract()


@pytest.fixture(scope="module")
def zh():
    return i18n.read_catalog("zh")


# --- the catalogs ------------------------------------------------------------------------------


def test_every_string_has_a_chinese_translation(template, zh):
    untranslated = [m.id for m in template if m.id and (zh.get(m.id) is None or not zh[m.id].string or zh[m.id].fuzzy)]
    assert untranslated == [], "translate with translations/i18n.py add"


def test_translations_keep_the_placeholders(template, zh):
    broken = [
        (m.id, zh[m.id].string)
        for m in template
        if m.id and zh.get(m.id) and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(zh[m.id].string))
    ]
    assert broken == []


def test_english_catalog_has_every_string(template):
    en = i18n.read_catalog("en")
    assert [m.id for m in template if m.id and (en.get(m.id) is None or not en[m.id].string)] == []


@pytest.mark.parametrize(
    "msgid",
    [
        # FAB templates: list, search and filter widgets, dialogs, login
        "Add Filter",
        "Search",
        "Record Count",
        "Page size",
        "Are you sure you want to delete this item?",
        "Enter your login and password below",
        # FAB Python: flash messages, filter names, security views and their labels
        "Added Row",
        "Changed Row",
        "Deleted Row",
        "Equal to",
        "Not Starts with",
        "Created on",
        "Changed by",
        "List Users",
        "The user role on the application, this will associate with a list of permissions",
        # ours: overridden FAB dialogs and status labels marked with N_
        "Cancel",
        "OK",
        "Unassigned",
        "Customer level",
    ],
)
def test_extraction_covers_fab_and_app_strings(template, msgid):
    assert template.get(msgid) is not None


def test_every_marker_is_extracted(tmp_path):
    """_, gettext, _l, lazy_gettext, lazy_formatter_gettext and N_ in Python; _ and gettext in Jinja."""
    (tmp_path / "code.py").write_text(
        'a = _("py underscore")\nb = gettext("py gettext")\nc = _l("py l")\nd = lazy_gettext("py lazy")\n'
        'e = lazy_formatter_gettext("py formatter", fmt)\nf = N_("py noop")\n'
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text('{{ _("jinja underscore") }} {{ gettext("jinja gettext") }}')
    catalog = Catalog()
    i18n.collect(catalog, tmp_path, i18n.FAB_METHODS)
    assert sorted(m.id for m in catalog if m.id) == sorted(
        [
            "py underscore",
            "py gettext",
            "py l",
            "py lazy",
            "py formatter",
            "py noop",
            "jinja underscore",
            "jinja gettext",
        ]
    )


# --- the pages ---------------------------------------------------------------------------------


def test_list_page_is_chinese_by_default(browser, ctx):
    from tests import factories

    factories.customer("am1", name="语言测试公司")
    response = browser("admin").get("/customerview/list/")
    page = text_of(response)
    for chinese in ("搜索", "添加筛选条件", "记录数", "新增记录", "编辑记录", "删除记录", "正常", "确定", "取消"):
        assert chinese in page
    assert [s for s in ENGLISH_LEFTOVERS + [">Normal<"] if s in page] == []
    assert "确定要删除这条记录吗？" in response.get_data(as_text=True)  # the delete dialog's text, set by a script


def test_login_page_is_chinese(browser):
    page = text_of(browser().get("/login/"))
    assert "请输入用户名和密码" in page and "用户名" in page and "密码" in page
    assert "Sign In" not in page and "Username" not in page


def test_flash_messages_are_chinese(browser, ctx):
    from app.extensions import db
    from app.models import Product

    b = browser("admin")
    form = {"name": "翻译测试产品", "model": "T1", "unit": "件", "price": "10"}
    added = b.post("/productview/add", data=form, follow_redirects=True).get_data(as_text=True)
    assert "添加成功" in added and "Added Row" not in added
    product = db.session.execute(db.select(Product).where(Product.name == "翻译测试产品")).scalar_one()
    form.update(model="T2", form_version=str(product.version))
    changed = b.post(f"/productview/edit/{product.id}", data=form, follow_redirects=True)
    assert "修改成功" in changed.get_data(as_text=True)
    deleted = b.post(f"/productview/delete/{product.id}", follow_redirects=True)
    assert "删除成功" in deleted.get_data(as_text=True)


def test_navbar_switches_language_and_back(browser):
    b = browser("admin")
    home = b.get("/").get_data(as_text=True)
    assert 'href="/lang/en"' in home and "English" in home
    assert b.get("/lang/en").status_code == 302
    english = text_of(b.get("/customerview/list/"))
    assert "Search" in english and "Add Filter" in english and "搜索" not in english
    assert 'href="/lang/zh"' in b.get("/").get_data(as_text=True)
    b.get("/lang/zh")
    assert "搜索" in text_of(b.get("/customerview/list/"))


def test_status_labels_follow_the_language(browser, ctx):
    from tests import factories

    factories.customer("am1", name="状态测试公司")
    b = browser("admin")
    assert "正常" in text_of(b.get("/customerview/list/"))
    b.get("/lang/en")
    assert ">Normal<" in text_of(b.get("/customerview/list/"))


# --- the default language ----------------------------------------------------------------------


def load_config(monkeypatch, tmp_path, **env):
    """config.py as a fresh module under CRM_* variables (the app's own config stays as it is)."""
    monkeypatch.setenv("CRM_INSTANCE_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(f"CRM_{name}", value)
    spec = importlib.util.spec_from_file_location("config_under_test", Path(i18n.ROOT) / "config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("config_under_test", None)
    return module


@pytest.mark.parametrize("env, default", [({}, "zh"), ({"LOCALE": "en"}, "en")])
def test_crm_locale_sets_the_default_language(monkeypatch, tmp_path, env, default):
    monkeypatch.delenv("CRM_LOCALE", raising=False)
    assert load_config(monkeypatch, tmp_path, **env).BABEL_DEFAULT_LOCALE == default


def test_a_new_session_gets_the_configured_default(app, browser, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")
    page = text_of(browser("admin").get("/customerview/list/"))
    assert "Search" in page and "搜索" not in page
