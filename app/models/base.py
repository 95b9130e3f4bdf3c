"""Shared columns and helpers for every CRM table."""

import datetime as dt

from flask import g, has_request_context
from sqlalchemy import Column, DateTime, ForeignKey, Integer, update
from sqlalchemy.orm import declared_attr


def now():
    return dt.datetime.now()


def N_(text):
    """Mark a label for extraction (gettext_noop): status maps keep English msgids, shown via gettext."""
    return text


def current_actor_id():
    """Id of the user acting now: the web/API user, else the one a CLI command set in g."""
    try:
        actor = g.get("crm_actor_id")
        if actor:
            return actor
        if has_request_context():
            from flask_login import current_user

            if current_user and current_user.is_authenticated:
                return current_user.id
            from flask_jwt_extended import current_user as jwt_user

            if jwt_user:
                return jwt_user.id
    except Exception:  # outside any app context, or no JWT in this request
        return None
    return None


class AuditColumns:
    """id, created/changed on/by: the columns every table carries (SPEC §2)."""

    id = Column(Integer, primary_key=True)

    @declared_attr
    def created_on(cls):
        return Column(DateTime, default=now, nullable=False)

    @declared_attr
    def changed_on(cls):
        return Column(DateTime, default=now, onupdate=now, nullable=False)

    @declared_attr
    def created_by_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"), default=current_actor_id, index=True)

    @declared_attr
    def changed_by_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"), default=current_actor_id, onupdate=current_actor_id)


class Versioned:
    """Optimistic locking: UPDATE … WHERE version = :seen, StaleDataError when it moved."""

    version = Column(Integer, nullable=False, default=1)

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


def status_label(statuses, status):
    """The translated label of `status` in a status map (the raw value when unknown)."""
    from flask_babel import gettext

    return gettext(statuses.get(status, status))


class StatusLabel:
    """`status_label` from the class's STATUSES map (English msgids marked with N_)."""

    STATUSES = {}

    @property
    def status_label(self):
        return status_label(self.STATUSES, self.status)


def guarded_update(session, model, pk, statuses, values, version=None, where=()):
    """A workflow step's UPDATE … WHERE id = :pk AND status IN :statuses [AND version = :seen]:
    bumps the version; True when exactly this row moved (else someone moved it first)."""
    table = model.__table__
    stmt = update(table).where(table.c.id == pk, table.c.status.in_(statuses), *where)
    if version is not None:
        stmt = stmt.where(table.c.version == version)
    values = {"version": table.c.version + 1, "changed_on": now(), **values}
    return session.execute(stmt.values(**values)).rowcount == 1


class DomainError(Exception):
    """A rule of the CRM said no. `status` maps it to HTTP; `message` is translatable."""

    status = 400

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class BadInput(DomainError):
    status = 400


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409
