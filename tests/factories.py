"""Small factories for test data; each commits and returns the new id."""

import datetime as dt
import itertools

from app.extensions import db
from app.models import Contact, Customer, Opportunity, Order, OrderLine, Product, Service
from app.security import CrmUser

_n = itertools.count(1)


def user(username):
    return db.session.execute(db.select(CrmUser).where(CrmUser.username == username)).scalar_one()


def customer(manager="am1", **kw):
    m = user(manager)
    c = Customer(
        name=kw.pop("name", f"测试客户{next(_n)}有限公司"),
        manager_id=m.id,
        branch_id=kw.pop("branch_id", m.branch_id),
        region=kw.pop("region", "east"),
        level=kw.pop("level", "normal"),
        **kw,
    )
    db.session.add(c)
    db.session.commit()
    return c.id


def contact(customer_id, **kw):
    c = Contact(customer_id=customer_id, name=kw.pop("name", f"联系人{next(_n)}"), **kw)
    db.session.add(c)
    db.session.commit()
    return c.id


def product(**kw):
    p = Product(name=kw.pop("name", f"产品{next(_n)}"), model=kw.pop("model", "A1"), price=kw.pop("price", 100), **kw)
    db.session.add(p)
    db.session.commit()
    return p.id


def order(customer_id, amount_lines=((1, 100),), date=None, **kw):
    pid = product()
    o = Order(customer_id=customer_id, date=date or dt.date.today(), status=kw.pop("status", "paid"), **kw)
    for qty, price in amount_lines:
        o.lines.append(OrderLine(product_id=pid, quantity=qty, price=price))
    db.session.add(o)
    db.session.commit()
    return o.id


def opportunity(creator="director", **kw):
    u = user(creator)
    o = Opportunity(
        customer_name=kw.pop("customer_name", f"潜在客户{next(_n)}"),
        title=kw.pop("title", "采购意向"),
        probability=kw.pop("probability", 50),
        expected_revenue=kw.pop("expected_revenue", 10000),
        created_by_id=u.id,
        branch_id=kw.pop("branch_id", u.branch_id),
        **kw,
    )
    db.session.add(o)
    db.session.commit()
    return o.id


def service(customer_id, creator="agent", **kw):
    u = user(creator)
    c = db.session.get(Customer, customer_id)
    s = Service(
        type=kw.pop("type", "consult"),
        title=kw.pop("title", "咨询产品价格"),
        request=kw.pop("request", "客户来电咨询"),
        customer_id=customer_id,
        branch_id=c.branch_id,
        created_by_id=u.id,
        **kw,
    )
    db.session.add(s)
    db.session.commit()
    return s.id


def churn(customer_id, status="warning", **kw):
    """A churn record as the scan would leave it (the customer's status follows)."""
    from app.models import Churn

    c = db.session.get(Customer, customer_id)
    record = Churn(customer_id=customer_id, manager_id=c.manager_id, status=status, **kw)
    db.session.add(record)
    if status in ("warning", "deferred", "lost"):
        c.status = "lost" if status == "lost" else "warning"
    db.session.commit()
    return record.id


def plan(opportunity_id, **kw):
    from app.models import Plan

    p = Plan(opportunity_id=opportunity_id, date=kw.pop("date", dt.date.today()), todo=kw.pop("todo", "电话回访"), **kw)
    db.session.add(p)
    db.session.commit()
    return p.id
