"""Customer rules shared by screens, API and imports: ownership, duplicate check, the 360°
page's data, quick adds from that page, and the bulk transfer between managers."""

import datetime as dt
from dataclasses import dataclass, field

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Activity,
    AuditLog,
    BadInput,
    Churn,
    ChurnMeasure,
    Conflict,
    Contact,
    CrmUser,
    Customer,
    Dictionary,
    NotFound,
    Opportunity,
    Order,
    Service,
    dict_items,
    normalise_name,
    normalise_phone,
)
from app.models.churn import OPEN_CHURN_STATUSES
from app.models.events import audit_row
from app.security import scope_clause, scope_level

# ---------------------------------------------------------------- ownership


def apply_owner(customer, user):
    """A customer created by someone who only sees their own customers gets them as
    manager; directors and admins may pick any manager (else themselves). The branch
    follows the manager unless one was chosen."""
    if user is not None and scope_level(user, "Customer") == "own":
        customer.manager = user
        customer.manager_id = user.id
    elif customer.manager is None and customer.manager_id is None and user is not None:
        customer.manager = user
        customer.manager_id = user.id
    manager = customer.manager
    if customer.branch_id is None and customer.branch is None and manager is not None:
        customer.branch_id = manager.branch_id


def check_owner_change(customer, user):
    """Only users who see beyond their own customers may hand a customer to someone else."""
    if user is not None and scope_level(user, "Customer") == "own" and customer.manager_id not in (None, user.id):
        raise BadInput(_l("You can only manage your own customers"), field="manager_id")


# ---------------------------------------------------------------- duplicate check

MIN_PHONE_DIGITS = 7  # shorter numbers (extensions, typos) match too much


def find_duplicates(name, phone, exclude_id=None, limit=10):
    """Existing customers whose normalised name or phone equals this one's, across the
    whole company: a duplicate owned by a colleague is exactly what the check is for."""
    criteria = []
    name_norm, phone_norm = normalise_name(name), normalise_phone(phone)
    if name_norm:
        criteria.append(Customer.name_norm == name_norm)
    if len(phone_norm) >= MIN_PHONE_DIGITS:
        criteria.append(Customer.phone_norm == phone_norm)
    if not criteria:
        return []
    stmt = (
        select(Customer).options(joinedload(Customer.manager)).where(or_(*criteria)).order_by(Customer.id).limit(limit)
    )
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    return db.session.execute(stmt).scalars().all()


def duplicate_field(customer, duplicates):
    """'name' when a duplicate shares the normalised name, else 'phone'."""
    name_norm = normalise_name(customer.name)
    return "name" if any(d.name_norm == name_norm for d in duplicates) else "phone"


def describe_duplicates(duplicates):
    return "；".join(f"{d.name}（{d.no}，{d.manager or '—'}）" for d in duplicates)


def check_duplicates(customer, confirmed=False):
    """Refuse (409) a new customer that looks like an existing one unless the caller
    confirmed it on purpose. Used by the API; the add screen warns inside its form."""
    if confirmed:
        return
    duplicates = find_duplicates(customer.name, customer.phone, exclude_id=customer.id)
    if duplicates:
        raise Conflict(
            _l(
                "Possible duplicate of existing customer(s): %(customers)s. "
                "To create it anyway, send the request again with confirm_duplicate=1.",
                customers=describe_duplicates(duplicates),
            ),
            field=duplicate_field(customer, duplicates),
        )


# ---------------------------------------------------------------- customer 360°

TAB_LIMIT = 50


@dataclass
class Customer360:
    customer: Customer
    counts: dict
    order_total: object = 0
    last_order_date: dt.date | None = None
    tabs: dict = field(default_factory=dict)  # tab → rows (only the tabs the user may see)


def scoped_customer(customer_id, user):
    """The customer if `user` may see it; NotFound otherwise (exactly like a missing one)."""
    customer = db.session.execute(
        select(Customer)
        .options(joinedload(Customer.manager), joinedload(Customer.branch))
        .where(Customer.id == customer_id, scope_clause(Customer, user))
    ).scalar_one_or_none()
    if customer is None:
        raise NotFound(_l("Customer not found"))
    return customer


def _count(model, customer_id, user, *where):
    return (
        select(func.count())
        .select_from(model)
        .where(model.customer_id == customer_id, scope_clause(model, user), *where)
        .scalar_subquery()
    )


def customer_360(customer_id, user, tabs, load=()):
    """What the 360° page shows in few statements: the customer, one row of counts and
    order totals, then at most TAB_LIMIT rows of the tabs in `load` (the open one; the
    page fetches the others when they are opened, see customer_tab)."""
    customer = scoped_customer(customer_id, user)
    cid = customer.id
    valid_orders = Order.status != "cancelled"
    order_scope = scope_clause(Order, user)
    totals = db.session.execute(
        select(
            *[_tab_count(tab, cid, user).label(tab) for tab in TAB_QUERIES],
            select(func.coalesce(func.sum(Order.amount), 0))
            .where(Order.customer_id == cid, valid_orders, order_scope)
            .scalar_subquery()
            .label("order_total"),
            select(func.max(Order.date))
            .where(Order.customer_id == cid, valid_orders, order_scope)
            .scalar_subquery()
            .label("last_order_date"),
        )
    ).one()
    result = Customer360(
        customer=customer,
        counts={k: getattr(totals, k) for k in TAB_QUERIES},
        order_total=totals.order_total,
        last_order_date=_as_date(totals.last_order_date),
    )
    for tab in tabs:
        result.tabs[tab] = _tab_rows(tab, cid, user) if tab in load else None
    return result


# the dictionary types the 360° page and its tabs label values with
PAGE_DICTIONARIES = (
    "customer_level",
    "region",
    "industry",
    "customer_source",
    "activity_type",
    "service_type",
    "churn_reason",
)


def preload_dictionaries(types=PAGE_DICTIONARIES):
    """Fill dict_items' per-request cache for several types in one statement."""
    cache = g.setdefault("crm_dict_cache", {})
    missing = [t for t in types if t not in cache]
    if not missing:
        return
    rows = db.session.execute(
        select(Dictionary.type, Dictionary.value, Dictionary.name)
        .where(Dictionary.type.in_(missing))
        .order_by(Dictionary.type, Dictionary.sort, Dictionary.id)
    ).all()
    for t in missing:
        cache[t] = [(r.value, r.name) for r in rows if r.type == t]


def customer_tab(customer_id, user, tab):
    """One tab of the 360° page, fetched when it is opened: (rows, total count)."""
    customer = scoped_customer(customer_id, user)
    total = db.session.execute(select(_tab_count(tab, customer.id, user))).scalar()
    return _tab_rows(tab, customer.id, user), total


def _tab_rows(tab, customer_id, user):
    return db.session.execute(TAB_QUERIES[tab](customer_id, user).limit(TAB_LIMIT)).scalars().unique().all()


def _tab_count(tab, customer_id, user):
    if tab == "audit":
        return select(func.count()).where(_audit_where(customer_id, user)).scalar_subquery()
    return _count(TAB_MODELS[tab], customer_id, user)


def _as_date(value):
    if isinstance(value, str):  # SQLite answers aggregates over dates as text
        return dt.date.fromisoformat(value)
    return value


def _audit_where(customer_id, user):
    """The customer's audit timeline; entries of opportunities and tickets only for those
    the user may see (they have their own data scope)."""
    own_scope = {"opportunity": Opportunity, "service": Service}
    return and_(
        AuditLog.customer_id == customer_id,
        or_(
            AuditLog.table_name.not_in(list(own_scope)),
            *[
                and_(
                    AuditLog.table_name == table,
                    AuditLog.record_id.in_(select(model.id).where(scope_clause(model, user))),
                )
                for table, model in own_scope.items()
            ],
        ),
    )


def _scoped(model, customer_id, user):
    return select(model).where(model.customer_id == customer_id, scope_clause(model, user))


TAB_MODELS = {
    "contacts": Contact,
    "activities": Activity,
    "orders": Order,
    "opportunities": Opportunity,
    "services": Service,
    "churns": Churn,
}

TAB_QUERIES = {
    "contacts": lambda cid, user: _scoped(Contact, cid, user).order_by(Contact.is_primary.desc(), Contact.id),
    "activities": lambda cid, user: (
        _scoped(Activity, cid, user)
        .options(joinedload(Activity.user))
        .order_by(Activity.date.desc(), Activity.id.desc())
    ),
    "orders": lambda cid, user: _scoped(Order, cid, user).order_by(Order.date.desc(), Order.id.desc()),
    "opportunities": lambda cid, user: (
        _scoped(Opportunity, cid, user).options(joinedload(Opportunity.assignee)).order_by(Opportunity.id.desc())
    ),
    "services": lambda cid, user: (
        _scoped(Service, cid, user).options(joinedload(Service.assignee)).order_by(Service.id.desc())
    ),
    "churns": lambda cid, user: (
        _scoped(Churn, cid, user)
        .options(selectinload(Churn.measures).joinedload(ChurnMeasure.user))
        .order_by(Churn.id.desc())
    ),
    "audit": lambda cid, user: (
        select(AuditLog)
        .options(joinedload(AuditLog.user))
        .where(_audit_where(cid, user))
        .order_by(AuditLog.created_on.desc(), AuditLog.id.desc())
    ),
}


# ---------------------------------------------------------------- quick adds on the 360° page


def _text(data, key, label, required=False, max_len=None):
    value = (data.get(key) or "").strip()
    if required and not value:
        raise BadInput(_l("%(field)s is required", field=label), field=key)
    if max_len and len(value) > max_len:
        raise BadInput(_l("%(field)s is too long (at most %(max)s characters)", field=label, max=max_len), field=key)
    return value or None


def add_contact(customer_id, data, user):
    customer = scoped_customer(customer_id, user)
    contact = Contact(
        customer_id=customer.id,
        name=_text(data, "name", _l("Contact name"), required=True, max_len=50),
        gender=_text(data, "gender", _l("Gender"), max_len=10),
        position=_text(data, "position", _l("Position"), max_len=50),
        phone=_text(data, "phone", _l("Phone"), max_len=30),
        mobile=_text(data, "mobile", _l("Mobile"), max_len=30),
        email=_text(data, "email", _l("Email"), max_len=120),
        memo=_text(data, "memo", _l("Memo")),
        is_primary=data.get("is_primary") in ("y", "on", "1", "true", True),
    )
    if contact.email and "@" not in contact.email:
        raise BadInput(_l("Please enter a valid e-mail address"), field="email")
    db.session.add(contact)
    db.session.commit()
    return contact


def add_activity(customer_id, data, user):
    customer = scoped_customer(customer_id, user)
    try:
        date = dt.date.fromisoformat((data.get("date") or "").strip())
    except ValueError:
        raise BadInput(_l("Please enter a valid date (YYYY-MM-DD)"), field="date") from None
    activity_type = (data.get("type") or "").strip() or None
    if activity_type and activity_type not in dict(dict_items("activity_type", db.session)):
        raise BadInput(_l("Please choose an activity type from the list"), field="type")
    activity = Activity(
        customer_id=customer.id,
        date=date,
        type=activity_type,
        place=_text(data, "place", _l("Place"), max_len=200),
        title=_text(data, "title", _l("Title"), required=True, max_len=200),
        description=_text(data, "description", _l("Description")),
        user_id=user.id,
    )
    db.session.add(activity)
    db.session.commit()
    return activity


# ---------------------------------------------------------------- bulk transfer

_CHUNK = 500


def transfer_customers(to_manager_id, from_manager_id=None, customer_ids=None, by=None):
    """Hand customers to another account manager (e.g. when one leaves): all customers of
    `from_manager_id`, or the chosen `customer_ids`, or the chosen ones among the former.
    The branch follows the new manager, open churn records follow too, one audit entry per
    customer. Returns how many customers moved."""
    to_manager = db.session.get(CrmUser, to_manager_id) if to_manager_id else None
    if to_manager is None or not to_manager.active:
        raise BadInput(_l("Please choose the new account manager"), field="to_manager_id")
    if from_manager_id is None and not customer_ids:
        raise BadInput(_l("Please choose the current account manager or some customers"), field="from_manager_id")
    if from_manager_id == to_manager.id:
        raise BadInput(_l("The new account manager must differ from the current one"), field="to_manager_id")
    stmt = select(Customer.id, Customer.manager_id, Customer.branch_id).where(
        Customer.manager_id.is_distinct_from(to_manager.id), scope_clause(Customer, by)
    )
    if from_manager_id is not None:
        stmt = stmt.where(Customer.manager_id == from_manager_id)
    if customer_ids:
        stmt = stmt.where(Customer.id.in_([int(i) for i in customer_ids]))
    rows = db.session.execute(stmt.order_by(Customer.id)).all()
    new_branch = to_manager.branch_id
    for start in range(0, len(rows), _CHUNK):
        _transfer_chunk(rows[start : start + _CHUNK], to_manager.id, new_branch)
    db.session.commit()
    return len(rows)


def _transfer_chunk(rows, to_id, new_branch):
    ids = [r.id for r in rows]
    values = {"manager_id": to_id, "version": Customer.version + 1}
    if new_branch is not None:
        values["branch_id"] = new_branch
    moved = db.session.execute(
        update(Customer.__table__)
        .where(Customer.id.in_(ids), Customer.manager_id.is_distinct_from(to_id))
        .values(values)
    ).rowcount
    if moved != len(ids):
        raise Conflict(_l("Some of these customers were changed meanwhile; please try again."))
    db.session.execute(
        update(Churn.__table__)
        .where(Churn.customer_id.in_(ids), Churn.status.in_(OPEN_CHURN_STATUSES))
        .values(manager_id=to_id, version=Churn.version + 1)
    )
    entries = []
    for r in rows:
        changes = {"manager_id": [r.manager_id, to_id]}
        if new_branch is not None and r.branch_id != new_branch:
            changes["branch_id"] = [r.branch_id, new_branch]
        entries.append(audit_row("customer", r.id, "transition", changes, transition="transfer", customer_id=r.id))
    db.session.execute(insert(AuditLog.__table__), entries)
