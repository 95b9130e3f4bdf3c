"""产品 and 库存."""

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from .base import AuditColumns, Versioned


class Product(AuditColumns, Versioned, Model):
    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("name", "model", name="uq_product_name_model"),
        CheckConstraint("price >= 0", name="ck_product_price"),
    )

    name = Column(String(100), nullable=False, index=True)
    model = Column(String(100), nullable=False, default="")
    batch = Column(String(50))
    unit = Column(String(20), nullable=False, default="件")
    price = Column(Numeric(14, 2), nullable=False, default=0)
    memo = Column(Text)

    def __repr__(self):
        return f"{self.name} {self.model}".strip()


class Stock(AuditColumns, Versioned, Model):
    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("product_id", "warehouse", "location", name="uq_stock_place"),
        CheckConstraint("quantity >= 0", name="ck_stock_quantity"),
    )

    product_id = Column(Integer, ForeignKey("product.id"), nullable=False, index=True)
    product = relationship(Product)
    warehouse = Column(String(100), nullable=False, index=True)
    location = Column(String(100), nullable=False, default="")
    quantity = Column(Integer, nullable=False, default=0)
    memo = Column(Text)

    def __repr__(self):
        return f"{self.product} @ {self.warehouse}"
