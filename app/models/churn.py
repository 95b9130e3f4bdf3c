"""客户流失: warning records, their measures (暂缓措施), confirmation. Steps added with issue 4."""

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from .base import AuditColumns, Versioned, now
from .customer import Customer
from .org import CrmUser

CHURN_STATUSES = {
    "warning": "Warning",
    "deferred": "Deferred",
    "lost": "Confirmed lost",
    "recovered": "Recovered",
}
OPEN_CHURN_STATUSES = ("warning", "deferred")


class Churn(AuditColumns, Versioned, Model):
    __tablename__ = "churn"
    __table_args__ = (
        CheckConstraint("status IN ('warning', 'deferred', 'lost', 'recovered')", name="ck_churn_status"),
        Index("ix_churn_customer_status", "customer_id", "status"),
        Index("ix_churn_manager_status", "manager_id", "status"),
    )

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    customer = relationship(Customer)
    manager_id = Column(Integer, ForeignKey("ab_user.id"))
    manager = relationship(CrmUser, foreign_keys=[manager_id])
    last_order_date = Column(Date)
    status = Column(String(20), nullable=False, default="warning", index=True)
    reason = Column(String(200))  # dictionary churn_reason
    lost_on = Column(Date)
    measures = relationship(
        "ChurnMeasure", back_populates="churn", order_by="ChurnMeasure.id", cascade="all, delete-orphan"
    )

    def __repr__(self):
        return f"{self.customer}"

    @property
    def status_label(self):
        from flask_babel import gettext

        return gettext(CHURN_STATUSES.get(self.status, self.status))


class ChurnMeasure(AuditColumns, Model):
    """One 暂缓措施; append-only."""

    __tablename__ = "churn_measure"

    churn_id = Column(Integer, ForeignKey("churn.id", ondelete="CASCADE"), nullable=False, index=True)
    churn = relationship(Churn, back_populates="measures")
    date = Column(DateTime, nullable=False, default=now)
    measure = Column(Text, nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id"))
    user = relationship(CrmUser, foreign_keys=[user_id])
