"""Lists at scale (app/views/listing.py): bounded count, deep pages, indexed search, no N+1."""

import re
from urllib.parse import quote

import pytest
from sqlalchemy import event

from app.extensions import db
from app.views import listing
from tests import factories

LIST = "/customerview/list/"


def names_on(html):
    return re.findall(r"测试客户\d+有限公司|搜索目标\S*公司", html)


@pytest.fixture
def many(app):
    """25 customers of am1, newest last."""
    with app.app_context():
        return [factories.customer("am1", name=f"测试客户{i:03d}有限公司") for i in range(25)]


@pytest.fixture
def statements(app):
    counter = {"n": 0}

    def hit(*args, **kw):
        counter["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hit)
    yield counter
    event.remove(engine, "before_cursor_execute", hit)


def test_small_list_counts_exactly_without_a_count_query(browser, app):
    with app.app_context():
        factories.customer("am1", name="测试客户1有限公司")
    html = browser("am1").get(LIST).get_data(as_text=True)
    assert "测试客户1有限公司" in html
    assert re.search(r"</strong>\s*1\s*<", html)  # Record Count: 1


def test_count_above_the_limit_is_shown_as_a_bound(browser, many, monkeypatch, app):
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10)
    html = browser("am1").get(LIST).get_data(as_text=True)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    assert ("约" if postgres else "10+") in html
    assert len(names_on(html)) == 20


@pytest.mark.parametrize("page", [0, 1])
def test_deep_page_strategy_returns_the_same_rows(browser, many, monkeypatch, page):
    url = f"{LIST}?page_CustomerView={page}&psize_CustomerView=10"
    b = browser("director")
    plain = names_on(b.get(url).get_data(as_text=True))
    monkeypatch.setattr(listing, "DEEP_OFFSET", 0)  # every page through the id-only offset
    deep = names_on(b.get(url).get_data(as_text=True))
    assert plain == deep and len(plain) == 10
    assert plain == sorted(plain, reverse=True)  # newest first


def test_name_search_finds_two_characters_inside_the_name_and_keeps_scope(browser, app):
    with app.app_context():
        factories.customer("am1", name="搜索目标华东贸易公司")
        factories.customer("am2", name="搜索目标华东物流公司")
        factories.customer("am1", name="测试客户9有限公司")
    url = f"{LIST}?_flt_2_name=华东"
    assert names_on(browser("am1").get(url).get_data(as_text=True)) == ["搜索目标华东贸易公司"]
    assert sorted(names_on(browser("director").get(url).get_data(as_text=True))) == [
        "搜索目标华东物流公司",
        "搜索目标华东贸易公司",
    ]


def test_list_loads_related_columns_in_the_same_statement(browser, app, statements):
    with app.app_context():
        for i in range(20):
            factories.customer(("am1", "am2", "director")[i % 3], name=f"测试客户{i}有限公司")
    b = browser("director")
    b.get(LIST)
    statements["n"] = 0
    assert b.get(LIST).status_code == 200
    assert statements["n"] <= 10


@pytest.mark.parametrize(
    "term, found",
    [("华东", True), ("东贸", True), ("no", True), ("021 6012 3456", True), ("(021) 6012-3456", True), ("物流", False)],
)
def test_customer_picker_finds_by_name_part_number_or_phone_within_scope(browser, app, term, found):
    with app.app_context():
        own = factories.customer("am1", name="搜索目标华东贸易公司", phone="021-60123456")
        factories.customer("am2", name="搜索目标华东物流公司")
        number = db.session.get(factories.Customer, own).no
    q = number.lower() if term == "no" else term
    results = browser("am1").get(f"/crm/lookup/customer?q={quote(q)}").json["results"]
    assert [r["id"] for r in results] == ([own] if found else [])
