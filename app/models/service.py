"""服务管理: tickets and their handling / feedback rounds. Steps added with issue 5."""

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from .base import AuditColumns, Versioned
from .customer import Customer
from .org import Branch, CrmUser

SERVICE_STATUSES = {
    "new": "New",
    "assigned": "Assigned",
    "handled": "Handled",
    "archived": "Archived",
}


class Service(AuditColumns, Versioned, Model):
    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="ck_service_satisfaction"),
        CheckConstraint("status IN ('new', 'assigned', 'handled', 'archived')", name="ck_service_status"),
        Index("ix_service_assignee_status", "assignee_id", "status"),
        Index("ix_service_creator_status", "created_by_id", "status"),
        Index("ix_service_branch_status", "branch_id", "status"),
        Index("ix_service_customer_status", "customer_id", "status"),
    )

    type = Column(String(100), nullable=False)  # dictionary service_type
    title = Column(String(200), nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    customer = relationship(Customer)
    branch_id = Column(Integer, ForeignKey("branch.id"))
    branch = relationship(Branch, foreign_keys=[branch_id])
    request = Column(Text, nullable=False)
    status = Column(String(20), nullable=False, default="new", index=True)
    creator = relationship(CrmUser, foreign_keys="Service.created_by_id", viewonly=True)
    assignee_id = Column(Integer, ForeignKey("ab_user.id"))
    assignee = relationship(CrmUser, foreign_keys=[assignee_id])
    assigned_on = Column(DateTime)
    deal = Column(Text)
    dealt_by_id = Column(Integer, ForeignKey("ab_user.id"))
    dealt_by = relationship(CrmUser, foreign_keys=[dealt_by_id])
    dealt_on = Column(DateTime)
    result = Column(Text)
    satisfaction = Column(Integer)
    archived_on = Column(DateTime)
    rounds = relationship(
        "ServiceRound", back_populates="service", order_by="ServiceRound.id", cascade="all, delete-orphan"
    )

    def __repr__(self):
        return self.title or ""

    @property
    def status_label(self):
        from flask_babel import gettext

        return gettext(SERVICE_STATUSES.get(self.status, self.status))


class ServiceRound(AuditColumns, Model):
    """One handle → feedback round; every round is kept (SPEC §2)."""

    __tablename__ = "service_round"

    service_id = Column(Integer, ForeignKey("service.id", ondelete="CASCADE"), nullable=False, index=True)
    service = relationship(Service, back_populates="rounds")
    deal = Column(Text)
    dealt_by_id = Column(Integer, ForeignKey("ab_user.id"))
    dealt_on = Column(DateTime)
    result = Column(Text)
    satisfaction = Column(Integer)
    feedback_on = Column(DateTime)
