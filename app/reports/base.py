"""What every report shares: the filters read from the query string, the shape of a result
(sections of rows with their chart), and the few SQL expressions that differ by database."""

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask_babel import get_locale
from sqlalchemy import DateTime, func

from app.extensions import db

# ---------------------------------------------------------------- filters


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@dataclass
class Filters:
    """The common filters (date range or year, branch, manager) plus the report's own."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    year: int | None = None
    branch_id: int | None = None
    manager_id: int | None = None
    own: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, own_spec=None):
        """Lenient parsing: a value that does not parse is ignored, never an error."""
        f = cls(
            date_from=_date(args.get("date_from")),
            date_to=_date(args.get("date_to")),
            year=_int(args.get("year")),
            branch_id=_int(args.get("branch_id")),
            manager_id=_int(args.get("manager_id")),
        )
        if f.year is not None and not 1900 < f.year < 3000:
            f.year = None
        if f.year and not (f.date_from or f.date_to):
            f.date_from, f.date_to = dt.date(f.year, 1, 1), dt.date(f.year, 12, 31)
        for name, spec in (own_spec or {}).items():
            value = args.get(name)
            choices = [c for c, _ in spec.choices()] if spec.choices else None
            if spec.kind == "int":
                value = _int(value)
            if value in (None, "") or (choices is not None and value not in choices):
                value = spec.default
            f.own[name] = value
        return f

    def as_args(self):
        """The query string that reproduces these filters (for the export link)."""
        args = {
            "date_from": self.date_from.isoformat() if self.date_from and not self.year else None,
            "date_to": self.date_to.isoformat() if self.date_to and not self.year else None,
            "year": self.year,
            "branch_id": self.branch_id,
            "manager_id": self.manager_id,
            **self.own,
        }
        return {k: v for k, v in args.items() if v not in (None, "")}

    def query_string(self):
        return urlencode(self.as_args())

    def dates(self, column):
        """WHERE clauses for the date range on a Date or DateTime column (end day inclusive)."""
        clauses = []
        is_dt = isinstance(column.type, DateTime)
        if self.date_from:
            start = dt.datetime.combine(self.date_from, dt.time()) if is_dt else self.date_from
            clauses.append(column >= start)
        if self.date_to:
            if is_dt:
                clauses.append(column < dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time()))
            else:
                clauses.append(column <= self.date_to)
        return clauses

    def owner(self, branch_column, manager_column):
        clauses = []
        if self.branch_id and branch_column is not None:
            clauses.append(branch_column == self.branch_id)
        if self.manager_id and manager_column is not None:
            clauses.append(manager_column == self.manager_id)
        return clauses


@dataclass
class OwnFilter:
    """A report's own filter: label, choices (callable → [(value, label)]) or None, default."""

    label: object
    choices: object = None
    default: object = None
    kind: str = "str"


# ---------------------------------------------------------------- results


@dataclass
class Col:
    key: str
    label: object
    kind: str = "text"  # text | int | money | pct | num


@dataclass
class Chart:
    kind: str  # bar | hbar | pie | line | funnel
    x: str  # column key of the category / label
    y: list  # column keys of the values (one trace each)
    series: str | None = None  # column key splitting rows into traces (grouped bars)
    title: object = ""
    y_title: object = ""


@dataclass
class Section:
    key: str
    title: object
    columns: list
    rows: list  # dicts; "_link" is the drill-through URL of the row (not a column)
    chart: Chart | None = None

    def values(self):
        """Rows as plain JSON-able values: the columns plus ids and codes (API, tests)."""
        return [{k: v for k, v in row.items() if not k.startswith("_")} for row in self.rows]


# ---------------------------------------------------------------- SQL helpers


def dialect():
    return db.session.get_bind().dialect.name


def month_of(column):
    """'YYYY-MM' of a Date/DateTime column, in the database."""
    if dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def year_of(column):
    if dialect() == "postgresql":
        return func.to_char(column, "YYYY")
    return func.strftime("%Y", column)


def money(value):
    return round(float(value or 0), 2)


def is_zh():
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def list_url(view, *filters, **params):
    """URL of a FAB list page with `_flt_<index>_<column>=value` filters."""
    args = [(f"_flt_{index}_{column}", value) for index, column, value in filters]
    args += [(k, v) for k, v in params.items() if v is not None]
    return f"/{view}/list/?" + urlencode(args) if args else f"/{view}/list/"


# FAB's filter indexes (flask_appbuilder.models.sqla.filters.SQLAFilterConverter)
STR_EQUAL = 3
INT_EQUAL = 0
REL_EQUAL = 0
GREATER = 1
SMALLER = 2
STR_NOT_EQUAL = 7


def date_link_filters(column, start, end):
    """FAB list filters for start ≤ column ≤ end (its filters are strict > and <)."""
    out = []
    if start:
        out.append((GREATER, column, (start - dt.timedelta(days=1)).isoformat()))
    if end:
        out.append((SMALLER, column, (end + dt.timedelta(days=1)).isoformat()))
    return out


def month_bounds(ym):
    """'2026-03' → (date(2026, 3, 1), date(2026, 3, 31))."""
    year, month = int(ym[:4]), int(ym[5:7])
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)
