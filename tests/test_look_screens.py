"""What a user notices on the workflow screens (zh UI): readable times, buttons only where
they work, the 流失预警扫描 button inside its list, an order's lines open on its page and
edited there, stock searched by product, built-in dictionary items without edit buttons."""

import datetime as dt
import re

import pytest

from app.extensions import db
from app.models import Dictionary, Opportunity, Order, Stock
from tests import factories as f

MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{6}")


def _assigned_with_a_done_plan():
    pk = f.opportunity("director", title="年度维保")
    item = db.session.get(Opportunity, pk)
    item.assign(f.user("am1"), f.user("director"))
    db.session.commit()
    plan = f.plan(pk, todo="电话回访", result="客户有意向", done_on=dt.datetime.now())
    return pk, plan


@pytest.mark.parametrize("page", ["/opportunityview/plan/{pk}", "/opportunityview/show/{pk}"])
def test_opportunity_times_have_no_microseconds(browser, ctx, page):
    pk, _plan = _assigned_with_a_done_plan()
    html = browser("am1").get(page.format(pk=pk)).get_data(as_text=True)
    assert "客户有意向" in html or "电话回访" in html
    assert dt.date.today().isoformat() in html
    assert not MICROSECONDS.search(html), MICROSECONDS.search(html).group(0)


def test_churn_scan_button_sits_inside_the_list_panel(browser, ctx):
    html = browser("director").get("/churnview/list/").get_data(as_text=True)
    assert "流失预警扫描" in html
    assert html.index('class="panel-body"') < html.index('id="churn-scan"')


def test_service_create_page_is_titled_as_its_menu(browser, ctx):
    html = browser("agent").get("/servicecreateview/add").get_data(as_text=True)
    assert "服务创建" in html and 'name="title"' in html


def _order_of_am1():
    customer = f.customer("am1", name="上海订单测试有限公司")
    return f.order(customer, ((3, 1200),))


@pytest.mark.parametrize("user, can_edit", [("am1", True), ("exec", False)])
def test_order_page_shows_its_lines_open_and_edit_only_to_who_may(browser, ctx, user, can_edit):
    pk = _order_of_am1()
    html = browser(user).get(f"/orderview/show/{pk}").get_data(as_text=True)
    assert 'id="OrderLineView_href" class="panel-collapse collapse in"' in html
    assert "3600.00" in html  # the line's amount, visible without a click
    assert ('id="order-edit"' in html) is can_edit
    assert ("编辑订单" in html) is can_edit


def test_lines_are_added_and_edited_inside_the_order(browser, ctx):
    pk = _order_of_am1()
    product = f.product(name="打印机", price=800)
    b = browser("am1")
    page = b.get(f"/orderview/show/{pk}").get_data(as_text=True)
    add_url = f"/orderlineview/add?_flt_0_order={pk}"
    assert add_url in page.replace("&amp;", "&")
    r = b.post(add_url, data={"order": pk, "product": product, "quantity": 2, "unit": "台", "price": 800})
    assert r.status_code == 302
    db.session.expire_all()
    order = db.session.get(Order, pk)
    assert float(order.amount) == 3600 + 1600
    line = next(line for line in order.lines if line.product_id == product)
    r = b.post(f"/orderlineview/edit/{line.id}", data={"order": pk, "product": product, "quantity": 1, "price": 800})
    assert r.status_code == 302
    db.session.expire_all()
    assert float(db.session.get(Order, pk).amount) == 3600 + 800
    page = b.get(f"/orderview/show/{pk}").get_data(as_text=True)
    assert "打印机" in page and "4400.00" in page


def test_stock_is_searched_by_product(browser, ctx):
    wanted, other = f.product(name="服务器X1"), f.product(name="交换机S2")
    db.session.add_all(
        [
            Stock(product_id=wanted, warehouse="上海仓", quantity=5),
            Stock(product_id=other, warehouse="北京仓", quantity=7),
        ]
    )
    db.session.commit()
    html = browser("am1").get(f"/stockview/list/?_flt_0_product={wanted}").get_data(as_text=True)
    assert "上海仓" in html and "北京仓" not in html


def test_built_in_dictionary_items_offer_no_edit_or_delete(browser, ctx):
    custom = Dictionary(type="industry", name="测试行业", value="look-test", sort=99, editable=True)
    db.session.add(custom)
    db.session.commit()
    try:
        built_in = db.session.execute(db.select(Dictionary).where(Dictionary.editable.is_(False))).scalars().first()
        b = browser("admin")
        html = b.get("/dictionaryview/list/?_flt_0_type=industry&psize_DictionaryView=100").get_data(as_text=True)
        assert f"/dictionaryview/edit/{custom.id}" in html
        built_ins = b.get(f"/dictionaryview/list/?_flt_0_type={built_in.type}").get_data(as_text=True)
        assert f"/dictionaryview/show/{built_in.id}" in built_ins
        assert f"/dictionaryview/edit/{built_in.id}" not in built_ins
    finally:
        db.session.delete(custom)
        db.session.commit()
