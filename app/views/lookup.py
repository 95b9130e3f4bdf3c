"""/crm/lookup/<kind>: the server-side search behind every record picker (select2 ajax)."""

from flask import abort, jsonify, request
from flask_appbuilder import BaseView, expose
from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import Branch, Campaign, CrmUser, Customer, Opportunity, Order, Product, Service
from app.models.customer import normalise_phone
from app.security import current_user_obj, scope_clause
from app.views.listing import bigram_match

PAGE = 20

# kind → (model, columns searched, order column)
LOOKUPS = {
    "customer": (Customer, ("name",), "name"),  # plus exact no / phone, see _customer_match
    "user": (CrmUser, ("username", "first_name", "last_name"), "username"),
    "product": (Product, ("name", "model"), "name"),
    "campaign": (Campaign, ("name",), "name"),
    "opportunity": (Opportunity, ("title", "customer_name"), "title"),
    "order": (Order, ("no",), "no"),
    "service": (Service, ("title",), "title"),
    "branch": (Branch, ("name", "code"), "name"),
}


def _base_query(kind):
    model, _, _ = LOOKUPS[kind]
    stmt = select(model).where(scope_clause(model))
    if model is CrmUser:
        stmt = stmt.where(CrmUser.active.is_(True))
    return stmt


def lookup_get(kind, pk):
    """One record of `kind` by id if the current user may pick it, else None."""
    if kind not in LOOKUPS:
        return None
    model = LOOKUPS[kind][0]
    return db.session.execute(_base_query(kind).where(model.id == pk)).scalar_one_or_none()


def lookup_search(kind, term, page=1):
    model, columns, order = LOOKUPS[kind]
    stmt = _base_query(kind)
    term = (term or "").strip()
    if term and model is Customer:
        stmt = stmt.where(_customer_match(term))
    elif term:
        like = f"%{term}%"
        stmt = stmt.where(or_(*[getattr(model, c).ilike(like) for c in columns]))
    stmt = stmt.order_by(getattr(model, order), model.id).offset((page - 1) * PAGE).limit(PAGE + 1)
    rows = db.session.execute(stmt).scalars().all()
    return rows[:PAGE], len(rows) > PAGE


def _customer_match(term):
    """Name contains the term (bigram GIN index on PostgreSQL), or number / phone equal to it:
    each part has an index, so a million customers answer in milliseconds."""
    name = Customer.name.ilike(f"%{term}%")
    if len(term) >= 2 and db.session.get_bind().dialect.name == "postgresql":
        name = and_(name, bigram_match(Customer.name, term))
    clauses = [name, Customer.no == term.upper()]
    if normalise_phone(term):
        clauses.append(Customer.phone_norm == normalise_phone(term))
    return or_(*clauses)


class LookupView(BaseView):
    route_base = "/crm/lookup"
    default_view = "lookup"

    @expose("/<kind>")
    def lookup(self, kind):
        if current_user_obj() is None:
            abort(401)
        if kind not in LOOKUPS:
            abort(404)
        try:
            page = max(1, int(request.args.get("page", 1)))
        except ValueError:
            page = 1
        rows, more = lookup_search(kind, request.args.get("q"), page)
        return jsonify(
            results=[{"id": r.id, "text": _label(kind, r)} for r in rows],
            pagination={"more": more},
        )


def _label(kind, row):
    if kind == "customer":
        return f"{row.name}（{row.no}）"
    if kind == "user":
        return f"{row}（{row.username}）"
    return str(row)
