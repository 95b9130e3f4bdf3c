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
