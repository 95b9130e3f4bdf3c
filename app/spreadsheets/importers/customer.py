"""Customers (upsert on 客户编号, else name + phone) and contacts (customer + name)."""

import datetime as dt
from collections import defaultdict
from itertools import zip_longest
from types import SimpleNamespace

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, insert, or_, select, update

from app.models import Contact, Counter, CrmUser, Customer, normalise_name, normalise_phone
from app.models.customer import CUSTOMER_DETAIL_FIELDS
from app.security import scope_clause, scope_level
from app.services.customers import MIN_PHONE_DIGITS, describe_duplicates
from app.spreadsheets.columns import Col
from app.spreadsheets.importers.base import Importer, chunks

DUPLICATES_SHOWN = 10  # existing customers named per warning

CUSTOMER_FIELDS = [
    "no",
    "name",
    "region",
    "industry",
    "level",
    "source",
    "satisfaction",
    "credit",
    *CUSTOMER_DETAIL_FIELDS,
]


def reserve_numbers(session, prefix, count, day=None):
    """`count` consecutive business numbers (KH + yyyymmdd + 6 digits) in one UPDATE."""
    day = (day or dt.date.today()).strftime("%Y%m%d")
    key = prefix + day
    if not session.execute(update(Counter).where(Counter.key == key).values(value=Counter.value + count)).rowcount:
        from sqlalchemy.exc import IntegrityError

        try:
            with session.begin_nested():
                session.execute(insert(Counter).values(key=key, value=count))
        except IntegrityError:  # created meanwhile by another transaction
            session.execute(update(Counter).where(Counter.key == key).values(value=Counter.value + count))
    last = session.execute(select(Counter.value).where(Counter.key == key)).scalar_one()
    return [f"{key}{n:06d}" for n in range(last - count + 1, last + 1)]


class Users:
    """Active users by user name or by full name (as lists and exports show them)."""

    def __init__(self, session):
        rows = session.execute(
            select(CrmUser.id, CrmUser.username, CrmUser.first_name, CrmUser.last_name, CrmUser.branch_id).where(
                CrmUser.active.is_(True)
            )
        ).all()
        self.by_id = {r.id: r for r in rows}
        self.by_username = {r.username.lower(): r for r in rows}
        self.by_name = {}
        for r in rows:
            self.by_name.setdefault(f"{r.last_name or ''}{r.first_name or ''}".strip(), []).append(r)

    def name_of(self, user_id):
        """A user's display name (as lists show it), None for no or an inactive user."""
        row = self.by_id.get(user_id)
        if row is None:
            return None
        return f"{row.last_name or ''}{row.first_name or ''}".strip() or row.username

    def find(self, text):
        """(user row, None) or (None, message)."""
        user = self.by_username.get(text.lower())
        if user is not None:
            return user, None
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0], None
        if named:
            return None, gettext("Several users have this name; write the user name instead.")
        return None, gettext("No active user “%(name)s”.", name=text)


class CustomerRefs:
    """Resolves the 客户编号 / 客户名称 columns of contact and order rows to customers the
    importing user may reach (out of scope reads exactly like missing)."""

    def __init__(self, importer, records):
        self.importer = importer
        nos = {r.values.get("customer_no") for r in records if not r.bad}
        names = {normalise_name(r.values.get("customer_name")) for r in records if not r.bad}
        fetch = importer.fetch
        self.by_no = {r.no: r for r in fetch(Customer, ["id", "no"], Customer.no, nos) if r.in_scope}
        self.by_name = {}
        for r in fetch(Customer, ["id", "name_norm"], Customer.name_norm, names - {""}):
            if r.in_scope:
                self.by_name.setdefault(r.name_norm, []).append(r.id)

    def resolve(self, record, result):
        values = record.values
        if values.get("customer_no"):
            row = self.by_no.get(values["customer_no"])
            if row is None:
                result.error(record.number, self.importer.col("customer_no"), self.missing())
            return row.id if row else None
        name = values.get("customer_name")
        if not name:
            result.error(record.number, self.importer.col("customer_name"), gettext("Write the customer no. or name."))
            return None
        ids = self.by_name.get(normalise_name(name), [])
        if len(ids) > 1:
            result.error(
                record.number,
                self.importer.col("customer_name"),
                gettext("Several customers have this name; write the customer no. instead."),
            )
            return None
        if not ids:
            result.error(record.number, self.importer.col("customer_name"), self.missing())
            return None
        return ids[0]

    @staticmethod
    def missing():
        return gettext("Customer not found or not in your data scope.")


def customer_ref_columns():
    return [
        Col("customer_no", _l("Customer no."), max_len=30, example="KH20260101000001"),
        Col("customer_name", _l("Customer name"), max_len=200, example="上海示例贸易有限公司"),
    ]


class CustomerImporter(Importer):
    resource = "customer"
    permission = "Customer"
    model = Customer
    title = _l("Customers")
    columns = [
        Col("no", _l("Customer no."), max_len=30, example=""),
        Col("name", _l("Customer name"), required=True, max_len=200, example="上海示例贸易有限公司"),
        Col("region", _l("Region"), "dict", dict_type="region", example="华东"),
        Col("industry", _l("Industry"), "dict", dict_type="industry", example="制造业"),
        Col("level", _l("Customer level"), "dict", dict_type="customer_level", example="普通客户"),
        Col("source", _l("Source"), "dict", dict_type="customer_source", default="import", example="数据导入"),
        Col("satisfaction", _l("Satisfaction"), "int", lo=1, hi=5, default=3, example=3),
        Col("credit", _l("Credit"), "int", lo=1, hi=5, default=3, example=3),
        Col("manager", _l("Account manager"), max_len=100, example=""),
        Col("address", _l("Address"), max_len=300, example="上海市浦东新区世纪大道 100 号"),
        Col("zip", _l("Zip code"), max_len=10, example="200120"),
        Col("phone", _l("Phone"), "phone", max_len=30, example="021-58881234"),
        Col("fax", _l("Fax"), "phone", max_len=30),
        Col("website", _l("Website"), max_len=200),
        Col("licence_no", _l("Business licence no."), max_len=50),
        Col("legal_person", _l("Legal person"), max_len=50),
        Col("registered_capital", _l("Registered capital (10k CNY)"), "decimal", lo=0, example=500),
        Col("turnover", _l("Annual turnover"), "decimal", lo=0),
        Col("bank", _l("Bank"), max_len=100),
        Col("bank_account", _l("Bank account"), max_len=50),
        Col("local_tax_no", _l("Local tax no."), max_len=50),
        Col("national_tax_no", _l("National tax no."), max_len=50),
    ]
    extras = [Col("branch", _l("Branch")), Col("status_label", _l("Status"))]

    def plan(self, records, result):
        users = Users(self.session)
        level = scope_level(self.user, "Customer")
        good = [r for r in records if not r.bad]
        cols = ["id", "manager_id", "branch_id"] + CUSTOMER_FIELDS
        by_no = {r.no: r for r in self.fetch(Customer, cols, Customer.no, {r.values.get("no") for r in good})}
        by_key = {}
        norms = {normalise_name(r.values["name"]) for r in good if not r.values.get("no")}
        for row in self.fetch(Customer, cols + ["name_norm", "phone_norm"], Customer.name_norm, norms):
            by_key.setdefault((row.name_norm, row.phone_norm), row)
        seen = {}
        for record in good:
            v = record.values
            if v.get("no"):
                key, key_col, existing = ("no", v["no"]), "no", by_no.get(v["no"])
            else:
                key = ("name", normalise_name(v["name"]), normalise_phone(v.get("phone")))
                key_col, existing = "name", by_key.get(key[1:])
            if self.duplicate(seen, key, record, key_col, result):
                continue
            if existing is not None and not existing.in_scope:
                result.error(
                    record.number, self.col(key_col), gettext("This customer exists but is not in your data scope.")
                )
                continue
            manager = None
            if v.get("manager"):
                manager, problem = users.find(v["manager"])
                if problem:
                    result.error(record.number, self.col("manager"), problem)
                    continue
            manager_id = manager.id if manager else (existing.manager_id if existing else self.user.id)
            if existing is not None and manager_id == existing.manager_id:
                branch_id = existing.branch_id
            else:
                branch_id = users.by_id[manager_id].branch_id if manager_id in users.by_id else self.user.branch_id
            if level == "own" and manager_id != self.user.id:
                result.error(record.number, self.col("manager"), gettext("You can only manage your own customers"))
                continue
            if level == "branch" and branch_id != self.user.branch_id:
                result.error(record.number, self.col("manager"), gettext("The account manager is not in your branch."))
                continue
            values = {k: v[k] for k in CUSTOMER_FIELDS if k in v and (k != "no" or v[k])}
            values.update(manager_id=manager_id, branch_id=branch_id)
            if existing is None:
                row = {k: None for k in CUSTOMER_FIELDS}
                row.update(self.with_defaults(values), status="normal")
                self.add(record, result, values=row)
            else:
                changes = self.changes(existing, values, list(values))
                if "name" in changes:
                    changes["name_norm"] = (None, normalise_name(values["name"]))
                if "phone" in changes:
                    changes["phone_norm"] = (None, normalise_phone(values["phone"]))
                self.add(record, result, existing, changes=changes, customer_id=existing.id)
        self.warn_duplicates(users, result)

    def warn_duplicates(self, users, result):
        """SPEC §2: a customer to be created whose normalised name or phone (≥ 7 digits)
        matches an existing one gets a warning naming those customers (the import still
        goes ahead). Set-based: one query per chunk of names and phones."""
        creates = [
            (op.record, normalise_name(op.values["name"]), normalise_phone(op.values.get("phone")))
            for op in self.creates
        ]
        names = {name for _, name, _ in creates if name}
        phones = {phone for _, _, phone in creates if len(phone) >= MIN_PHONE_DIGITS}
        in_scope = case((scope_clause(Customer, self.user), 1), else_=0).label("in_scope")
        columns = [Customer.id, Customer.no, Customer.name, Customer.name_norm, Customer.phone_norm]
        by_name, by_phone = defaultdict(list), defaultdict(list)
        for name_part, phone_part in zip_longest(chunks(names), chunks(phones), fillvalue=[]):
            stmt = select(*columns, Customer.manager_id, in_scope).where(
                or_(Customer.name_norm.in_(name_part), Customer.phone_norm.in_(phone_part))
            )
            for row in self.session.execute(stmt):
                by_name[row.name_norm].append(row)
                by_phone[row.phone_norm].append(row)
        for record, name, phone in creates:
            found = {r.id: r for r in by_name.get(name, []) if name}
            if len(phone) >= MIN_PHONE_DIGITS:
                found.update((r.id, r) for r in by_phone.get(phone, []))
            if not found:
                continue
            existing = [found[pk] for pk in sorted(found)][:DUPLICATES_SHOWN]
            described = [
                SimpleNamespace(id=r.id, name=r.name, no=r.no, manager=users.name_of(r.manager_id), in_scope=r.in_scope)
                for r in existing
            ]
            column = "name" if any(r.name_norm == name for r in existing) else "phone"
            result.warn(
                record.number,
                self.col(column),
                gettext(
                    "Possible duplicate of existing customer(s): %(customers)s.",
                    customers=describe_duplicates(described),
                ),
                customers=[
                    {"id": d.id if d.in_scope else None, "no": d.no, "name": d.name, "manager": d.manager}
                    for d in described
                ],
            )

    def apply(self, progress):
        blank = [op for op in self.creates if not op.values.get("no")]
        for op, no in zip(blank, reserve_numbers(self.session, "KH", len(blank)), strict=True):
            op.values["no"] = no
        for op in self.creates:
            op.values["name_norm"] = normalise_name(op.values["name"])
            op.values["phone_norm"] = normalise_phone(op.values.get("phone"))
        super().apply(progress)

    def customer_of(self, op, pk):
        return pk  # a customer's own audit rows belong to its 360 timeline


class ContactImporter(Importer):
    resource = "contact"
    permission = "Contact"
    model = Contact
    title = _l("Contacts")
    columns = customer_ref_columns() + [
        Col("name", _l("Contact name"), required=True, max_len=50, example="张三"),
        Col("gender", _l("Gender"), max_len=10, example="男"),
        Col("position", _l("Position"), max_len=50, example="采购经理"),
        Col("phone", _l("Phone"), "phone", max_len=30, example="021-58881234"),
        Col("mobile", _l("Mobile"), "phone", max_len=30, example="13800138000"),
        Col("email", _l("Email"), "email", max_len=120, example="zhangsan@example.com"),
        Col("is_primary", _l("Primary contact"), "bool", default=False, example="是"),
        Col("memo", _l("Memo")),
    ]
    one_of = [("customer_no", "customer_name")]
    fields = ["name", "gender", "position", "phone", "mobile", "email", "is_primary", "memo"]

    def plan(self, records, result):
        refs = CustomerRefs(self, records)
        targets = self.resolved(records, lambda record: refs.resolve(record, result))
        cols = ["id", "customer_id"] + self.fields
        existing = {}
        for row in self.fetch(Contact, cols, Contact.customer_id, {c for _, c in targets}):
            existing.setdefault((row.customer_id, row.name), row)
        seen = {}
        for record, customer_id in targets:
            v = record.values
            key = (customer_id, v["name"])
            if not self.duplicate(seen, key, record, "name", result):
                self.upsert(record, result, existing.get(key), customer_id=customer_id)

    def insert_rows(self, table, ops, progress=None):
        for op in ops:
            op.customer_id = op.values["customer_id"]
        super().insert_rows(table, ops, progress)
