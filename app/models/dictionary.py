"""数据字典: the value lists behind customer level, region, industry, … (SPEC §2)."""

from flask import g, has_app_context
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Integer, String, UniqueConstraint, select

from .base import N_, AuditColumns, Versioned

# Dictionary types: code → label (the label is translated where shown).
DICT_TYPES = {
    "customer_level": N_("Customer level"),
    "region": N_("Region"),
    "industry": N_("Industry"),
    "service_type": N_("Service type"),
    "opportunity_source": N_("Opportunity source"),
    "churn_reason": N_("Churn reason"),
    "activity_type": N_("Activity type"),
    "customer_source": N_("Customer source"),
    "campaign_channel": N_("Campaign channel"),
}


class Dictionary(AuditColumns, Versioned, Model):
    __tablename__ = "dictionary"
    __table_args__ = (UniqueConstraint("type", "value", name="uq_dictionary_type_value"),)

    type = Column(String(40), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    value = Column(String(100), nullable=False)
    sort = Column(Integer, nullable=False, default=0)
    editable = Column(Boolean, nullable=False, default=True)

    def __repr__(self):
        return self.name


def dict_items(dict_type, session):
    """(value, name) pairs of one type in display order, cached per request."""
    cache = g.setdefault("crm_dict_cache", {}) if has_app_context() else {}
    if dict_type not in cache:
        rows = session.execute(
            select(Dictionary.value, Dictionary.name)
            .where(Dictionary.type == dict_type)
            .order_by(Dictionary.sort, Dictionary.id)
        ).all()
        cache[dict_type] = [(r.value, r.name) for r in rows]
    return cache[dict_type]


def dict_label(dict_type, value, session=None):
    """The display name of a stored dictionary value (the value itself when unknown)."""
    if value is None:
        return ""
    if session is None:
        from app.extensions import db

        session = db.session
    return dict(dict_items(dict_type, session)).get(value, value)
