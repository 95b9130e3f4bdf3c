"""Customer ownership rules shared by screens, API and imports."""

from flask_babel import lazy_gettext as _l

from app.models import BadInput
from app.security import scope_level


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
