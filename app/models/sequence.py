"""Gap-tolerant counters for business numbers (customer no, order no), safe under concurrency."""

import datetime as dt

from flask_appbuilder import Model
from sqlalchemy import Column, Integer, String, insert, select, update
from sqlalchemy.exc import IntegrityError


class Counter(Model):
    __tablename__ = "crm_counter"

    key = Column(String(50), primary_key=True)
    value = Column(Integer, nullable=False, default=0)


def next_value(session, key):
    """Increment and return counter `key`. The UPDATE takes the row lock until commit,
    so two transactions can never draw the same value."""
    for _ in range(5):
        res = session.execute(update(Counter).where(Counter.key == key).values(value=Counter.value + 1))
        if res.rowcount:
            return session.execute(select(Counter.value).where(Counter.key == key)).scalar_one()
        try:
            with session.begin_nested():
                session.execute(insert(Counter).values(key=key, value=1))
            return 1
        except IntegrityError:  # another transaction created the row first: increment it
            continue
    raise RuntimeError(f"counter {key} unavailable")


def next_number(session, prefix, day=None):
    """`KH` + yyyymmdd + 6-digit sequence of that day, e.g. KH20261125000001."""
    day = (day or dt.date.today()).strftime("%Y%m%d")
    return f"{prefix}{day}{next_value(session, prefix + day):06d}"
