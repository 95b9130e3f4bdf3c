"""工作台: the home page after login — what needs me today. Executives land on the cockpit."""

import datetime as dt

from flask import g, redirect, request, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Churn, Customer, Opportunity, Plan, Service
from app.models.churn import OPEN_CHURN_STATUSES
from app.models.sales import may
from app.security import scope_clause

LIMIT = 20  # rows per box; the count says how many there are in all


def _rows_and_count(stmt, count=None):
    """The first LIMIT rows and the number of all rows, in one statement: the count (`count`,
    or `stmt` counted) is an uncorrelated scalar subquery, evaluated once; no rows, no count."""
    if count is None:
        count = stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    total = count.scalar_subquery()
    rows = db.session.execute(stmt.add_columns(total.label("total")).limit(LIMIT)).all()
    return rows, rows[0].total if rows else 0


def workbench(user, today=None):
    """The workbench boxes for `user`: {box: (rows, total count)}."""
    today = today or dt.date.today()
    plans = (
        select(Plan.id, Plan.date, Plan.todo, Opportunity.id.label("opportunity_id"), Opportunity.title)
        .join(Opportunity, Opportunity.id == Plan.opportunity_id)
        .where(
            Opportunity.assignee_id == user.id,
            Opportunity.status == "assigned",
            Plan.result.is_(None),
            Plan.done_on.is_(None),
            Plan.date <= today,
            scope_clause(Plan, user),
        )
        .order_by(Plan.date, Plan.id)
    )
    tickets = (
        select(Service.id, Service.title, Service.type, Service.status, Service.created_on, Customer.name)
        .join(Customer, Customer.id == Service.customer_id)
        .where(
            or_(Service.assignee_id == user.id, Service.created_by_id == user.id),
            Service.status != "archived",
            scope_clause(Service, user),
        )
        .order_by(Service.created_on, Service.id)
    )
    # the records I follow up or of my customers: an IN over my customers rather than an
    # OR across the join, so that neither side reads every open record
    my_customers = select(Customer.id).where(Customer.manager_id == user.id)
    churn = (
        select(Churn.id, Churn.status, Churn.last_order_date, Customer.name)
        .join(Customer, Customer.id == Churn.customer_id)
        .where(
            Churn.status.in_(OPEN_CHURN_STATUSES),
            or_(Churn.manager_id == user.id, Churn.customer_id.in_(my_customers)),
            scope_clause(Churn, user),
        )
        .order_by(Churn.last_order_date, Churn.id)
    )
    plan_rows, plan_count = _rows_and_count(plans)
    boxes = {
        "plans_today": [r for r in plan_rows if r.date == today],
        "plans_overdue": [r for r in plan_rows if r.date < today],
        "plan_count": plan_count,
        "tickets": _rows_and_count(tickets),
        "churn": _rows_and_count(churn),
    }
    if is_director(user):
        unassigned = (
            select(Opportunity.id, Opportunity.title, Opportunity.customer_name, Opportunity.created_on)
            .where(Opportunity.status == "unassigned", scope_clause(Opportunity, user))
            .order_by(Opportunity.created_on, Opportunity.id)
        )
        new_tickets = (
            select(Service.id, Service.title, Service.type, Service.created_on, Customer.name)
            .join(Customer, Customer.id == Service.customer_id)
            .where(Service.status == "new", scope_clause(Service, user))
            .order_by(Service.created_on, Service.id)
        )
        boxes["unassigned_opportunities"] = _rows_and_count(unassigned)
        # every ticket has a customer: the count does not need the join
        new_count = (
            select(func.count()).select_from(Service).where(Service.status == "new", scope_clause(Service, user))
        )
        boxes["new_tickets"] = _rows_and_count(new_tickets, new_count)
    return boxes


def is_director(user):
    """Who sees work waiting for assignment: the SalesDirector role, or whoever holds the
    assign right on opportunities or on service tickets."""
    from flask import current_app

    if any(role.name == "SalesDirector" for role in user.roles):
        return True
    sm = current_app.appbuilder.sm
    return may(user, "assign") or sm._has_view_access(user, "can_assign", "Service")


class CrmIndexView(IndexView):
    index_template = "crm/index.html"

    @expose("/")
    def index(self):
        user = g.get("user")
        if user is None or not user.is_authenticated:
            return redirect(url_for(f"{self.appbuilder.sm.auth_view.endpoint}.login"))
        sm = self.appbuilder.sm
        executive = any(role.name == "Executive" for role in user.roles)
        if executive and not request.args.get("workbench") and sm.has_access("can_list", "Report"):
            return redirect(url_for("ReportsView.cockpit"))
        return self.render_template(
            self.index_template, appbuilder=self.appbuilder, boxes=workbench(user), today=dt.date.today()
        )
