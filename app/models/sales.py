"""营销管理: 销售机会 and 开发计划. Workflow steps are methods here (added with issue 3)."""

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import relationship

from .base import AuditColumns, Versioned
from .campaign import Campaign
from .customer import Customer
from .org import Branch, CrmUser

OPPORTUNITY_STATUSES = {
    "unassigned": "Unassigned",
    "assigned": "Assigned",
    "won": "Won",
    "lost": "Lost",
}


class Opportunity(AuditColumns, Versioned, Model):
    __tablename__ = "opportunity"
    __table_args__ = (
        CheckConstraint("probability BETWEEN 0 AND 100", name="ck_opportunity_probability"),
        CheckConstraint("expected_revenue >= 0", name="ck_opportunity_revenue"),
        CheckConstraint("status IN ('unassigned', 'assigned', 'won', 'lost')", name="ck_opportunity_status"),
        Index("ix_opportunity_assignee_status", "assignee_id", "status"),
        Index("ix_opportunity_creator_status", "created_by_id", "status"),
        Index("ix_opportunity_branch_status", "branch_id", "status"),
    )

    source = Column(String(100))  # dictionary opportunity_source
    customer_name = Column(String(200), nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id"), index=True)
    customer = relationship(Customer)
    title = Column(String(200), nullable=False)
    probability = Column(Integer, nullable=False, default=50)
    expected_revenue = Column(Numeric(16, 2), nullable=False, default=0)
    expected_close = Column(Date)
    contact = Column(String(50))
    phone = Column(String(30))
    description = Column(Text)
    campaign_id = Column(Integer, ForeignKey("campaign.id"), index=True)
    campaign = relationship(Campaign)
    creator = relationship(CrmUser, foreign_keys="Opportunity.created_by_id", viewonly=True)
    assignee_id = Column(Integer, ForeignKey("ab_user.id"))
    assignee = relationship(CrmUser, foreign_keys=[assignee_id])
    assigned_on = Column(DateTime)
    branch_id = Column(Integer, ForeignKey("branch.id"))
    branch = relationship(Branch, foreign_keys=[branch_id])
    status = Column(String(20), nullable=False, default="unassigned", index=True)
    closed_on = Column(DateTime)
    lost_reason = Column(String(300))
    plans = relationship("Plan", back_populates="opportunity", cascade="all, delete-orphan", order_by="Plan.date")

    def __repr__(self):
        return self.title or ""

    @property
    def status_label(self):
        from flask_babel import gettext

        return gettext(OPPORTUNITY_STATUSES.get(self.status, self.status))


class Plan(AuditColumns, Versioned, Model):
    __tablename__ = "plan"

    opportunity_id = Column(Integer, ForeignKey("opportunity.id", ondelete="CASCADE"), nullable=False, index=True)
    opportunity = relationship(Opportunity, back_populates="plans")
    date = Column(Date, nullable=False, index=True)
    todo = Column(String(500), nullable=False)
    result = Column(String(500))
    done_on = Column(DateTime)

    def __repr__(self):
        return self.todo or ""
