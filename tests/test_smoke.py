"""The foundation boots: login, every module's list page, the API login."""

import pytest

LISTS = [
    "/customerview/list/",
    "/contactview/list/",
    "/activityview/list/",
    "/orderview/list/",
    "/churnview/list/",
    "/opportunityview/list/",
    "/planview/list/",
    "/campaignview/list/",
    "/serviceview/list/",
    "/productview/list/",
    "/stockview/list/",
    "/dictionaryview/list/",
    "/branchview/list/",
    "/auditlogview/list/",
    "/users/list/",
]


@pytest.mark.parametrize("url", LISTS)
def test_admin_sees_every_list(browser, url):
    b = browser("admin")
    r = b.get(url)
    assert r.status_code == 200


def test_api_login_and_list(api, ctx):
    from tests import factories

    factories.customer("am1", name="接口测试公司")
    r = api("director").get("/api/v1/customer/")
    assert r.status_code == 200
    assert [row["name"] for row in r.json["result"]] == ["接口测试公司"]


def test_api_creates_customer_and_order_without_numbers(api, ctx):
    """Numbers are generated when a client (an ERP, a script) leaves them out."""
    client = api("am1")
    r = client.post("/api/v1/customer/", json={"name": "无编号接口客户有限公司", "phone": "021-55550001"})
    assert r.status_code == 201, r.get_data(as_text=True)
    customer = client.get(f"/api/v1/customer/{r.json['id']}").json["result"]
    assert customer["no"].startswith("KH") and len(customer["no"]) == 16
    r = client.post("/api/v1/order/", json={"customer_id": r.json["id"], "date": "2026-11-20", "status": "new"})
    assert r.status_code == 201, r.get_data(as_text=True)
    assert client.get(f"/api/v1/order/{r.json['id']}").json["result"]["no"].startswith("DD")


def test_api_filters_by_foreign_key(api, ctx):
    from tests import factories

    mine = factories.customer("am1", name="外键过滤一公司")
    other = factories.customer("am1", name="外键过滤二公司")
    factories.contact(mine, name="张三")
    factories.contact(other, name="李四")
    query = '{"filters":[{"col":"customer_id","opr":"eq","value":%d}]}' % mine
    r = api("am1").get("/api/v1/contact/", query_string={"q": query})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert [row["name"] for row in r.json["result"]] == ["张三"]
