"""Organisation: branches (分公司) and the CRM user (FAB user + branch + phone)."""

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from .base import AuditColumns, Versioned


class Branch(AuditColumns, Versioned, Model):
    __tablename__ = "branch"

    name = Column(String(100), nullable=False, unique=True)
    code = Column(String(30), nullable=False, unique=True)
    parent_id = Column(Integer, ForeignKey("branch.id"), index=True)
    parent = relationship("Branch", remote_side="Branch.id", foreign_keys=[parent_id])

    def __repr__(self):
        return self.name

    @property
    def path(self):
        """总部 / 华东区 / 上海分公司: the branch's place in the tree."""
        names, node, seen = [], self, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))


class CrmUser(User):
    """ab_user with the user's branch and phone; FAB docs' way of extending its user."""

    __tablename__ = "ab_user"

    # use_alter: branch ↔ ab_user reference each other (created_by_id); add this FK last
    branch_id = Column(Integer, ForeignKey("branch.id", use_alter=True, name="fk_ab_user_branch_id"), index=True)
    branch = relationship(Branch, foreign_keys=[branch_id])
    phone = Column(String(30))
    must_change_password = Column(Boolean, default=False)

    def __repr__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        # Chinese names read family name first, without a space.
        return f"{self.last_name or ''}{self.first_name or ''}".strip()
