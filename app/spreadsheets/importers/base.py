"""Importer: headers → cells → plan (create / update / unchanged, every problem listed) →
write everything in one transaction, or nothing.

Writes are set-based (executemany in chunks) so 100,000 rows fit in a request-sized time;
because they bypass the ORM flush, the audit rows are written here in the same format the
flush hook uses (app.models.events.audit_row)."""

import datetime as dt
import decimal
from collections import defaultdict

from flask_babel import gettext
from sqlalchemy import bindparam, case, insert, select, update

from app.extensions import db
from app.models import AuditLog
from app.models.base import now
from app.models.events import NOT_AUDITED_FIELDS, audit_row
from app.models.events import plain_value as plain  # audit values as the flush hook writes them
from app.security import scope_clause
from app.spreadsheets.columns import CellError

CHUNK = 1000
ERROR_LIMIT = 100_000  # keep listing problems, but not without bound


def chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def same(old, new):
    if isinstance(old, decimal.Decimal) or isinstance(new, decimal.Decimal):
        try:
            return old is not None and new is not None and decimal.Decimal(old) == decimal.Decimal(new)
        except (decimal.InvalidOperation, TypeError):
            return False
    if isinstance(old, dt.datetime) and isinstance(new, dt.date) and not isinstance(new, dt.datetime):
        old = old.date()
    return old == new


class Result:
    """What an import did (or would do): counts and every problem, by sheet row and header."""

    def __init__(self):
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.errors = []
        self.warnings = []  # worth a look, but the import still goes ahead

    def error(self, row, column, message):
        if len(self.errors) < ERROR_LIMIT:
            self.errors.append({"row": row, "column": _header(column), "message": str(message)})

    def warn(self, row, column, message, **details):
        if len(self.warnings) < ERROR_LIMIT:
            self.warnings.append({"row": row, "column": _header(column), "message": str(message), **details})

    def as_dict(self):
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": sorted(self.errors, key=lambda e: e["row"] or 0),
            "warnings": sorted(self.warnings, key=lambda e: e["row"] or 0),
        }


def _header(column):
    return column.header() if hasattr(column, "header") else column


class Record:
    """One data row: its sheet row number and parsed values by column key."""

    __slots__ = ("number", "values", "bad")

    def __init__(self, number):
        self.number = number
        self.values = {}
        self.bad = False


class Op:
    """A planned write: create (values) or update (id, changes {key: (old, new)})."""

    __slots__ = ("record", "id", "values", "changes", "customer_id")

    def __init__(self, record, values=None, id=None, changes=None, customer_id=None):
        self.record = record
        self.values = values
        self.id = id
        self.changes = changes
        self.customer_id = customer_id


class Importer:
    resource = None  # API resource name
    permission = None  # view-menu holding can_import
    model = None
    title = None
    columns = []  # importable columns, in template order
    fields = []  # model columns written from the row by `upsert`
    extras = []  # columns the export adds (read-only); accepted and ignored on import
    one_of = []  # groups of columns of which at least one must be present

    def __init__(self, user, session=None):
        self.user = user
        self.session = session or db.session
        self.present = set()
        self.creates, self.updates = [], []

    # ------------------------------------------------------------ the run

    def run(self, table, dry_run=True, progress=None):
        """Check every row; unless `dry_run` or anything is wrong, write all in one transaction."""
        progress = progress or (lambda *a: None)
        result = Result()
        columns = self.match_headers(table.headers, result)
        if result.errors:
            return result
        records = []
        for number, values, problems in table.rows():
            records.append(self.parse_row(number, values, problems, columns, result))
            if len(records) % CHUNK == 0:
                progress("read", len(records), max(table.estimate, len(records)))
        if not records:
            result.error(2, "", gettext("The file has no data rows."))
            return result
        progress("check", 0, len(records))
        self.plan(records, result)
        if result.errors or dry_run:
            self.session.rollback()
            return result
        try:
            self.apply(progress)
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        return result

    def match_headers(self, headers, result):
        """{cell index: Col}; missing required, unknown and repeated headers are errors (row 1)."""
        names = {}
        for col in self.columns:
            for name in col.names():
                names[name] = col
        ignored = {name for col in self.extras for name in col.names()}
        columns, seen = {}, {}
        for index, text in enumerate(headers):
            key = (text or "").strip().rstrip("*＊").strip().lower()
            if not key:
                continue
            if key in ignored:
                continue
            col = names.get(key)
            if col is None:
                result.error(1, text, gettext("Unknown column; use the column names of the template."))
            elif col.key in seen:
                result.error(1, text, gettext("This column appears twice."))
            else:
                seen[col.key] = index
                columns[index] = col
        if not columns and headers:
            result.errors.clear()
            result.error(
                1,
                "",
                gettext("No known column in row 1: use the import template (a .csv must be saved as UTF-8 or GBK)."),
            )
            return columns
        for col in self.columns:
            if col.required and col.key not in seen:
                result.error(1, col.header(), gettext("Required column is missing."))
        for group in self.one_of:
            if not any(key in seen for key in group):
                header = " / ".join(self.col(key).header() for key in group)
                result.error(1, header, gettext("Required column is missing."))
        self.present = set(seen)
        return columns

    def parse_row(self, number, values, problems, columns, result):
        record = Record(number)
        for index, col in columns.items():
            if index in problems:
                result.error(number, col, problems[index])
                record.bad = True
                continue
            raw = values[index] if index < len(values) else None
            try:
                value = col.parse(raw)
            except CellError as exc:
                result.error(number, col, str(exc))
                record.bad = True
                continue
            record.values[col.key] = value
        for index, problem in problems.items():
            if index not in columns and index < len(values) and values[index] is not None:
                result.error(number, "", problem)
                record.bad = True
        return record

    # ------------------------------------------------------------ planning helpers

    def plan(self, records, result):
        raise NotImplementedError

    def col(self, key):
        return next(c for c in self.columns if c.key == key)

    def duplicate(self, seen, key, record, column, result):
        """True (and an error) when `key` already appeared on an earlier row of the file."""
        first = seen.get(key)
        if first is not None:
            result.error(record.number, self.col(column), gettext("Duplicate of row %(row)s.", row=first))
            return True
        seen[key] = record.number
        return False

    def fetch(self, model, columns, key_column, keys, scoped_model=None, where=None):
        """Rows of `model` whose `key_column` is in `keys`, with `in_scope` (0/1) for the user."""
        scope = scope_clause(scoped_model or model, self.user)
        stmt_cols = [getattr(model, c) for c in columns] + [case((scope, 1), else_=0).label("in_scope")]
        rows = []
        for part in chunks(k for k in keys if k is not None):
            stmt = select(*stmt_cols).where(key_column.in_(part))
            if where is not None:
                stmt = stmt.where(where)
            rows.extend(self.session.execute(stmt).all())
        return rows

    def with_defaults(self, values):
        """`values` for a new record: empty cells of columns with a default get it."""
        filled = dict(values)
        for col in self.columns:
            if col.default is not None and filled.get(col.key) is None:
                filled[col.key] = col.default
        return filled

    def changes(self, existing, values, keys):
        """{key: (old, new)} of `keys` whose value differs from the existing row. An empty
        cell in a column with a default (a NOT NULL field) keeps the stored value."""
        defaulted = {c.key for c in self.columns if c.default is not None}
        found = {}
        for key in keys:
            if key not in values or (values[key] is None and key in defaulted):
                continue
            if not same(getattr(existing, key), values[key]):
                found[key] = (getattr(existing, key), values[key])
        return found

    def resolved(self, records, resolve):
        """(record, resolve(record)) of the good records that resolve (else `resolve` listed why)."""
        pairs = ((record, resolve(record)) for record in records if not record.bad)
        return [(record, target) for record, target in pairs if target is not None]

    def upsert(self, record, result, existing, **fixed):
        """Queue the row's `fields` as a new record (empty fields None, defaults filled,
        `fixed` columns added) or as the changes to `existing`."""
        values = {k: record.values[k] for k in self.fields if k in record.values}
        customer_id = fixed.get("customer_id")
        if existing is None:
            full = {k: None for k in self.fields}
            full.update(self.with_defaults(values), **fixed)
            self.add(record, result, values=full, customer_id=customer_id)
        else:
            changes = self.changes(existing, values, list(values))
            self.add(record, result, existing, changes=changes, customer_id=customer_id)

    def add(self, record, result, existing=None, values=None, changes=None, customer_id=None):
        """Queue a create (no `existing`) or an update (when something changed)."""
        if existing is None:
            self.creates.append(Op(record, values=values, customer_id=customer_id))
            result.created += 1
        elif changes:
            self.updates.append(Op(record, id=existing.id, changes=changes, customer_id=customer_id))
            result.updated += 1
        else:
            result.unchanged += 1

    # ------------------------------------------------------------ writing

    def apply(self, progress):
        total = len(self.creates) + len(self.updates)
        self.insert_rows(self.model.__table__, self.creates, lambda done: progress("write", done, total))
        self.update_rows(
            self.model.__table__, self.updates, lambda done: progress("write", len(self.creates) + done, total)
        )

    def stamp(self, creating):
        stamp = {"changed_on": now(), "changed_by_id": self.user.id}
        if creating:
            stamp.update(created_on=stamp["changed_on"], created_by_id=self.user.id, version=1)
        return stamp

    def insert_rows(self, table, ops, progress=None):
        """INSERT every op (executemany per chunk, ids back in order) and its audit row."""
        done = 0
        for part in chunks(ops):
            stamp = self.stamp(True)
            params = [{**self.row_values(op), **stamp} for op in part]
            if "version" not in table.c:
                for p in params:
                    p.pop("version")
            ids = self.insert_returning_ids(table, params)
            audits = []
            for op, pk, p in zip(part, ids, params, strict=True):
                op.id = pk
                values = {k: plain(v) for k, v in self.audited(p).items() if v is not None}
                audits.append(self.audit(table.name, pk, "create", values, self.customer_of(op, pk)))
            self.write_audits(audits)
            done += len(part)
            if progress:
                progress(done)

    def insert_returning_ids(self, table, params):
        """INSERT `params`; their new ids, in the same order."""
        if self.session.get_bind().dialect.name != "sqlite":
            # PostgreSQL: batched INSERT … RETURNING, matched to the parameters by SQLAlchemy
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            return self.session.execute(stmt, params).scalars().all()
        # SQLite cannot order a batched RETURNING (SQLAlchemy would send one INSERT per row).
        # The first row gets max(id) + 1 and from then on this transaction holds the
        # database's only write lock, so the following ids are free: give them explicitly.
        first = self.session.execute(insert(table).returning(table.c.id), params[:1]).scalar_one()
        ids = list(range(first, first + len(params)))
        if len(params) > 1:
            self.session.execute(insert(table), [{**p, "id": pk} for p, pk in zip(params[1:], ids[1:], strict=True)])
        return ids

    def update_rows(self, table, ops, progress=None):
        """UPDATE the changed columns only, grouped by which columns changed."""
        groups = defaultdict(list)
        for op in ops:
            groups[tuple(sorted(op.changes))].append(op)
        done = 0
        for keys, group in groups.items():
            for part in chunks(group):
                stamp = self.stamp(False)
                values = {k: bindparam(f"v_{k}") for k in keys}
                values.update({k: bindparam(f"v_{k}") for k in stamp})
                if "version" in table.c:
                    values["version"] = table.c.version + 1
                stmt = update(table).where(table.c.id == bindparam("pk")).values(**values)
                params = []
                for op in part:
                    row = {"pk": op.id, **{f"v_{k}": new for k, (_, new) in op.changes.items()}}
                    row.update({f"v_{k}": v for k, v in stamp.items()})
                    params.append(row)
                self.session.execute(stmt, params)
                self.write_audits(
                    self.audit(
                        table.name,
                        op.id,
                        "update",
                        {k: [plain(o), plain(n)] for k, (o, n) in self.audited(op.changes).items()},
                        op.customer_id,
                    )
                    for op in part
                )
                done += len(part)
                if progress:
                    progress(done)

    def row_values(self, op):
        return op.values

    def customer_of(self, op, pk):
        return op.customer_id

    @staticmethod
    def audited(values):
        return {k: v for k, v in values.items() if k not in NOT_AUDITED_FIELDS}

    def audit(self, table_name, pk, action, changes, customer_id):
        row = audit_row(table_name, pk, action, changes or None, customer_id=customer_id)
        row["user_id"] = self.user.id
        return row

    def write_audits(self, rows):
        rows = list(rows)
        if rows:
            self.session.execute(insert(AuditLog.__table__), rows)
