"""营销活动."""

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import relationship

from .base import AuditColumns, Versioned
from .customer import Customer

campaign_customer = Table(
    "campaign_customer",
    Model.metadata,
    Column("campaign_id", Integer, ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Campaign(AuditColumns, Versioned, Model):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("budget >= 0", name="ck_campaign_budget"),
        CheckConstraint("cost >= 0", name="ck_campaign_cost"),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="ck_campaign_dates"),
    )

    name = Column(String(200), nullable=False, unique=True)
    channel = Column(String(100))  # dictionary campaign_channel
    start = Column("start_date", Date, index=True)
    end = Column("end_date", Date)
    budget = Column(Numeric(16, 2), nullable=False, default=0)
    cost = Column(Numeric(16, 2), nullable=False, default=0)
    description = Column(Text)
    responses = Column(Integer, nullable=False, default=0)
    customers = relationship(Customer, secondary=campaign_customer)

    def __repr__(self):
        return self.name
