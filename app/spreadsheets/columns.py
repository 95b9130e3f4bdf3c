"""Import columns: header text, how a cell becomes a value, and the message when it cannot."""

import datetime as dt
import decimal
import re
import unicodedata

from flask import current_app
from flask_babel import force_locale, gettext

from app.extensions import db
from app.models import dict_items, normalise_phone

_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,25}(?:(?:转|ext\.?|#|-)[0-9]{1,6})?$", re.IGNORECASE)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+[0-9:]+)?$")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗"}


class CellError(ValueError):
    """A cell that cannot be used; the message is shown with its row and column."""


class Col:
    """One spreadsheet column of an import (and of the export in the same layout).

    kind: text, int, decimal, date, bool, phone, email, dict (a dictionary type),
    choice (fixed codes with English labels). `default` fills a new record when the cell
    is empty or the column is absent."""

    def __init__(self, key, label, kind="text", required=False, max_len=None, example=None, **opts):
        self.key = key
        self.label = label
        self.kind = kind
        self.required = required
        self.max_len = max_len
        self.example = example
        self.default = opts.get("default")
        self.dict_type = opts.get("dict_type")
        self.choices = opts.get("choices")  # {code: English label}
        self.lo, self.hi = opts.get("lo"), opts.get("hi")

    def header(self):
        return str(self.label)

    def names(self):
        """Every header text that means this column: its label in each UI language, its key."""
        names = {self.key.lower()}
        for locale in current_app.config.get("LANGUAGES", {"zh": None}):
            with force_locale(locale):
                names.add(str(self.label).strip().lower())
        return names

    # -------------------------------------------------------------- parsing

    def parse(self, value):
        """Cell value → stored value (None when empty), or CellError."""
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip() if self.kind != "text" else value.strip()
            if value == "":
                value = None
        if value is None:
            if self.required:
                raise CellError(gettext("A value is required."))
            return None
        parsed = getattr(self, f"_{self.kind}")(value)
        if isinstance(parsed, str) and self.max_len and len(parsed) > self.max_len:
            raise CellError(gettext("Too long: at most %(n)s characters.", n=self.max_len))
        return parsed

    def _text(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 13800138000 typed as a number
        if isinstance(value, (dt.datetime, dt.date)):
            value = value.strftime("%Y-%m-%d")
        return str(value)

    def _int(self, value):
        try:
            number = decimal.Decimal(str(value).replace(",", ""))
        except decimal.InvalidOperation:
            raise CellError(gettext("Not a whole number.")) from None
        if number != number.to_integral_value():
            raise CellError(gettext("Not a whole number."))
        return self._range(int(number))

    def _decimal(self, value):
        text = str(value).replace(",", "").replace("¥", "").replace("￥", "").strip()
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise CellError(gettext("Not a number.")) from None
        if not number.is_finite():
            raise CellError(gettext("Not a number."))
        return self._range(number.quantize(decimal.Decimal("0.01")))

    def _range(self, number):
        if (self.lo is not None and number < self.lo) or (self.hi is not None and number > self.hi):
            if self.hi is None:
                raise CellError(gettext("Must be at least %(lo)s.", lo=self.lo))
            raise CellError(gettext("Must be between %(lo)s and %(hi)s.", lo=self.lo, hi=self.hi))
        return number

    def _date(self, value):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        match = _DATE_RE.match(str(value))
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                pass
        raise CellError(gettext("Not a valid date (use YYYY-MM-DD)."))

    def _bool(self, value):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(gettext("Write 是 or 否."))

    def _phone(self, value):
        text = self._text(value)
        if not _PHONE_RE.match(text) or not 5 <= len(normalise_phone(text)) <= 20:
            raise CellError(gettext("Not a valid phone number."))
        return text

    def _email(self, value):
        text = self._text(value)
        if not _EMAIL_RE.match(text):
            raise CellError(gettext("Not a valid e-mail address."))
        return text

    def _dict(self, value):
        text = self._text(value)
        items = dict_items(self.dict_type, db.session)
        for code, name in items:
            if text == name or text == code:
                return code
        allowed = "、".join(name for _, name in items)
        raise CellError(gettext("Unknown value “%(value)s”; allowed: %(allowed)s.", value=text, allowed=allowed))

    def _choice(self, value):
        text = self._text(value)
        for code, label in self.choices.items():
            if text.lower() in (code, label.lower(), gettext(label).lower()):
                return code
        allowed = "、".join(gettext(label) for label in self.choices.values())
        raise CellError(gettext("Unknown value “%(value)s”; allowed: %(allowed)s.", value=text, allowed=allowed))

    # -------------------------------------------------------------- writing

    def display(self, value):
        """Stored value → what the export and the template show."""
        if value is None:
            return None
        if self.kind == "dict":
            return dict(dict_items(self.dict_type, db.session)).get(value, value)
        if self.kind == "choice":
            return gettext(self.choices.get(value, value))
        if self.kind == "bool":
            return gettext("Yes") if value else gettext("No")
        return value

    def allowed_values(self):
        """The names a dropdown offers, or None."""
        if self.kind == "dict":
            return [name for _, name in dict_items(self.dict_type, db.session)]
        if self.kind == "choice":
            return [gettext(label) for label in self.choices.values()]
        if self.kind == "bool":
            return [gettext("Yes"), gettext("No")]
        return None
