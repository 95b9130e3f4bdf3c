"""客户, 联系人, 交往记录."""

import re
import unicodedata

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
)
from sqlalchemy.orm import relationship

from .base import N_, AuditColumns, StatusLabel, Versioned
from .org import Branch, CrmUser
from .sequence import next_number

# Contact and registration fields (SPEC §2 names), in the order screens, API and
# spreadsheets list them.
CUSTOMER_DETAIL_FIELDS = [
    "address",
    "zip",
    "phone",
    "fax",
    "website",
    "licence_no",
    "legal_person",
    "registered_capital",
    "turnover",
    "bank",
    "bank_account",
    "local_tax_no",
    "national_tax_no",
]

CUSTOMER_STATUSES = {"normal": N_("Normal"), "warning": N_("Churn warning"), "lost": N_("Churned")}

_COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司")


def normalise_name(name):
    """Company name for duplicate checks: NFKC (full/half width), no spaces or
    punctuation, lower case, without the legal-form suffix."""
    if not name:
        return ""
    s = unicodedata.normalize("NFKC", name).lower()
    s = re.sub(r"[\s\W_]+", "", s)
    for suffix in _COMPANY_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
            break
    return s


def normalise_phone(phone):
    """Digits only, without a leading +86 / 0086 country code."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    for cc in ("0086", "86"):
        if digits.startswith(cc) and len(digits) > 11:
            digits = digits[len(cc) :]
    return digits


class Customer(StatusLabel, AuditColumns, Versioned, Model):
    __tablename__ = "customer"
    STATUSES = CUSTOMER_STATUSES
    __table_args__ = (
        CheckConstraint("satisfaction BETWEEN 1 AND 5", name="ck_customer_satisfaction"),
        CheckConstraint("credit BETWEEN 1 AND 5", name="ck_customer_credit"),
        CheckConstraint("status IN ('normal', 'warning', 'lost')", name="ck_customer_status"),
        # the data scope (own / branch) and its newest-first order; no index holds status
        # or a dictionary value: few distinct values, and each one more write per update
        Index("ix_customer_manager_id_id", "manager_id", "id"),
        Index("ix_customer_branch_id_id", "branch_id", "id"),
        Index("ix_customer_created_on", "created_on"),  # cockpit: new customers per month
    )

    no = Column(String(30), nullable=False, unique=True)
    name = Column(String(200), nullable=False, index=True)
    name_norm = Column(String(200), nullable=False, default="", index=True)
    # dictionary values
    region = Column(String(100))
    industry = Column(String(100))
    level = Column(String(100))
    source = Column(String(100))
    satisfaction = Column(Integer, nullable=False, default=3)
    credit = Column(Integer, nullable=False, default=3)
    # ownership and data scope
    manager_id = Column(Integer, ForeignKey("ab_user.id"))
    manager = relationship(CrmUser, foreign_keys=[manager_id])
    branch_id = Column(Integer, ForeignKey("branch.id"))
    branch = relationship(Branch, foreign_keys=[branch_id])
    status = Column(String(20), nullable=False, default="normal")
    # contact data
    address = Column(String(300))
    zip = Column(String(10))
    phone = Column(String(30))
    phone_norm = Column(String(30), nullable=False, default="", index=True)
    fax = Column(String(30))
    website = Column(String(200))
    # registration data
    licence_no = Column(String(50))
    legal_person = Column(String(50))
    registered_capital = Column(Numeric(16, 2))
    turnover = Column(Numeric(16, 2))
    bank = Column(String(100))
    bank_account = Column(String(50))
    local_tax_no = Column(String(50))
    national_tax_no = Column(String(50))

    contacts = relationship("Contact", back_populates="customer", cascade="all, delete-orphan")
    activities = relationship("Activity", back_populates="customer", cascade="all, delete-orphan")

    def __repr__(self):
        return self.name or ""


@event.listens_for(Customer, "before_insert")
def _customer_before_insert(mapper, connection, target):
    _normalise(target)


@event.listens_for(Customer, "before_update")
def _customer_before_update(mapper, connection, target):
    _normalise(target)


def _normalise(target):
    target.name_norm = normalise_name(target.name)
    target.phone_norm = normalise_phone(target.phone)


def assign_customer_no(session, customer):
    if not customer.no:
        customer.no = next_number(session, "KH")


class Contact(AuditColumns, Versioned, Model):
    __tablename__ = "contact"

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    customer = relationship(Customer, back_populates="contacts")
    name = Column(String(50), nullable=False)
    gender = Column(String(10))
    position = Column(String(50))
    phone = Column(String(30))
    mobile = Column(String(30))
    email = Column(String(120))
    memo = Column(Text)
    is_primary = Column(Boolean, nullable=False, default=False)

    def __repr__(self):
        return self.name


class Activity(AuditColumns, Versioned, Model):
    __tablename__ = "activity"

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    customer = relationship(Customer, back_populates="activities")
    date = Column(Date, nullable=False, index=True)
    type = Column(String(100))  # dictionary activity_type
    place = Column(String(200))
    title = Column(String(200), nullable=False)
    description = Column(Text)
    user_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    user = relationship(CrmUser, foreign_keys=[user_id])

    def __repr__(self):
        return self.title
