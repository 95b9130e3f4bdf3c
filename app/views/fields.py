"""Form fields: server-searched record pickers and dictionary selects."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.validators import ValidationError

from app.extensions import db
from app.models import dict_items


class LookupWidget:
    """A <select> holding only the chosen record; crm.js turns it into a select2 that
    asks /crm/lookup/<kind>?q= as the user types (never renders the whole table)."""

    def __call__(self, field, **kwargs):
        url = url_for("LookupView.lookup", kind=field.kind)
        option = ""
        if field.data is not None:
            option = f'<option value="{escape(field.data.id)}" selected>{escape(str(field.data))}</option>'
        elif not field.flags.required:
            option = '<option value=""></option>'
        return Markup(
            f'<select class="form-control crm-lookup" id="{escape(field.id)}" name="{escape(field.name)}" '
            f'data-url="{escape(url)}" data-placeholder="{escape(_l("Type to search"))}">{option}</select>'
        )


class LookupField(Field):
    """Relationship field whose choices are searched on the server, within data scope."""

    widget = LookupWidget()

    def __init__(self, label=None, validators=None, kind=None, model=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.kind = kind
        self.model = model
        self._invalid = False

    def _value(self):
        return str(self.data.id) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self._invalid = False
        if not valuelist or valuelist[0] in ("", "None", "__None"):
            self.data = None
            return
        from app.views.lookup import lookup_get

        try:
            pk = int(valuelist[0])
        except ValueError:
            pk = None
        self.data = lookup_get(self.kind, pk) if pk is not None else None
        if self.data is None:
            self._invalid = True

    def pre_validate(self, form):
        if self._invalid:
            raise ValidationError(_l("Record not found or not accessible"))


class DictSelectWidget:
    def __call__(self, field, **kwargs):
        options = "".join(
            f'<option value="{escape(value)}"{" selected" if value == (field.data or "") else ""}>{escape(label)}</option>'
            for value, label in field.choices()
        )
        return Markup(
            f'<select class="form-control" id="{escape(field.id)}" name="{escape(field.name)}">{options}</select>'
        )


class DictSelectField(Field):
    """Select over one dictionary type; choices are read when the form is rendered."""

    widget = DictSelectWidget()

    def __init__(self, label=None, validators=None, dict_type=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.dict_type = dict_type

    def choices(self):
        items = dict_items(self.dict_type, db.session)
        blank = [] if self.flags.required else [("", "")]
        return blank + list(items)

    def _value(self):
        return self.data or ""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0] or None

    def pre_validate(self, form):
        if self.data in (None, ""):
            self.data = None
            return
        if self.data not in {v for v, _ in dict_items(self.dict_type, db.session)}:
            raise ValidationError(_l("Not a valid choice"))
