"""Revenue summary tables, kept current by database triggers (migration 3e8f0a6c2d71).

Every revenue figure of the reports and the cockpit sums orders whose status is in
REVENUE_STATUSES (cancelled orders bring no revenue). Summing 5,000,000 orders per request
is too slow, so the database keeps two running totals, written by triggers on sales_order
(insert / update / delete) and on customer (manager or branch changes): every write path
counts — ORM, API, spreadsheet import, demo data and the bench's bulk INSERT … SELECT.

- RevenueMonth: per calendar month, branch and account manager (a few thousand rows);
  the revenue trend, month / year totals, branch and manager filters.
- RevenueCustomerYear: per customer and year, plus one all-years row (year = ALL_YEARS);
  the top-N customer lists, read straight from an index ordered by amount.

Both carry the customer's branch_id and manager_id so that data scope (app/security.py,
summary_scope_clause) and the report filters apply without a join. NO_OWNER (0) stands for
a customer without branch or manager: the keys are NOT NULL so that the triggers can
upsert on them.
"""

from flask_appbuilder import Model
from sqlalchemy import Column, Date, Index, Integer, Numeric, text

REVENUE_STATUSES = ("new", "shipped", "paid")
ALL_YEARS = 0
NO_OWNER = 0


class RevenueMonth(Model):
    __tablename__ = "revenue_month"

    month = Column(Date, primary_key=True)  # first day of the month
    branch_id = Column(Integer, primary_key=True)
    manager_id = Column(Integer, primary_key=True)
    amount = Column(Numeric(18, 2), nullable=False, default=0)
    orders = Column(Integer, nullable=False, default=0)


class RevenueCustomerYear(Model):
    __tablename__ = "revenue_customer_year"
    __table_args__ = (
        # ORDER BY amount DESC, customer_id LIMIT n: read in index order, no sort
        Index("ix_revenue_customer_year_top", "year", text("amount DESC"), "customer_id"),
        Index("ix_revenue_customer_year_branch_top", "year", "branch_id", text("amount DESC"), "customer_id"),
        Index("ix_revenue_customer_year_manager_top", "year", "manager_id", text("amount DESC"), "customer_id"),
    )

    customer_id = Column(Integer, primary_key=True)  # no FK: rows go when the orders go
    year = Column(Integer, primary_key=True)  # ALL_YEARS (0) = every year
    branch_id = Column(Integer, nullable=False, default=NO_OWNER)
    manager_id = Column(Integer, nullable=False, default=NO_OWNER)
    amount = Column(Numeric(18, 2), nullable=False, default=0)
    orders = Column(Integer, nullable=False, default=0)
