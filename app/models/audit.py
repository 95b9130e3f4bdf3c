"""审计日志: who changed which record when, field by field (written by app.models.events)."""

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from .base import now
from .org import CrmUser


class AuditLog(Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_record", "table_name", "record_id"),)

    id = Column(Integer, primary_key=True)
    created_on = Column(DateTime, nullable=False, default=now, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), index=True)
    user = relationship(CrmUser, foreign_keys=[user_id])
    table_name = Column(String(50), nullable=False)
    record_id = Column(Integer, nullable=False)
    action = Column(String(20), nullable=False)  # create / update / delete / transition
    transition = Column(String(50))  # e.g. assign, win, unassigned→assigned
    changes = Column(Text)  # JSON {field: [old, new]}
    customer_id = Column(Integer, index=True)  # for the customer 360 timeline

    def __repr__(self):
        return f"{self.table_name}#{self.record_id} {self.action}"
