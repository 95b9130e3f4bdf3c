"""订单 and 订单明细. The amount is derived from the lines, kept on the order for lists."""

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import relationship

from .base import N_, AuditColumns, StatusLabel, Versioned
from .customer import Customer
from .product import Product

ORDER_STATUSES = {"new": N_("New"), "shipped": N_("Shipped"), "paid": N_("Paid"), "cancelled": N_("Cancelled")}


class Order(StatusLabel, AuditColumns, Versioned, Model):
    __tablename__ = "sales_order"
    STATUSES = ORDER_STATUSES
    __table_args__ = (
        CheckConstraint("status IN ('new', 'shipped', 'paid', 'cancelled')", name="ck_order_status"),
        Index("ix_order_customer_date", "customer_id", "date"),
    )

    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    customer = relationship(Customer)
    no = Column(String(30), nullable=False, unique=True)
    date = Column(Date, nullable=False, index=True)
    address = Column(String(300))
    status = Column(String(20), nullable=False, default="new")
    amount = Column(Numeric(16, 2), nullable=False, default=0)
    lines = relationship("OrderLine", back_populates="order", cascade="all, delete-orphan")

    def __repr__(self):
        return self.no or ""

    def recompute_amount(self):
        self.amount = sum((line.amount for line in self.lines), 0)


class OrderLine(AuditColumns, Model):
    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_order_line_quantity"),
        CheckConstraint("price >= 0", name="ck_order_line_price"),
    )

    order_id = Column(Integer, ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False, index=True)
    order = relationship(Order, back_populates="lines")
    product_id = Column(Integer, ForeignKey("product.id"), nullable=False, index=True)
    product = relationship(Product)
    quantity = Column(Integer, nullable=False, default=1)
    unit = Column(String(20))
    price = Column(Numeric(14, 2), nullable=False, default=0)

    @property
    def amount(self):
        return (self.quantity or 0) * (self.price or 0)

    def __repr__(self):
        return f"{self.product} × {self.quantity}"
