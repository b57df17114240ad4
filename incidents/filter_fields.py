"""The list filter's form fields and filters for names and lists of values: what a URL
may hold (how many values, how long), read the same way for every parameter."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

from . import names

MAX_VALUES = 20
MAX_TEXT = 200
COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


class ValueListWidget(forms.Widget):
    """Several values under one name (?actor=a&actor=b), one text box per value."""

    template_name = "incidents/widgets/value_list.html"

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def format_value(self, value):
        if value in (None, ""):
            return []
        return [value] if isinstance(value, str) else [str(v) for v in value]


class ValueListField(forms.Field):
    """Several short text values; empty ones are dropped."""

    widget = ValueListWidget
    default_validators = []

    def to_python(self, value):
        if value in self.empty_values:
            return []
        values = [value] if isinstance(value, str) else list(value)
        cleaned = []
        for item in values:
            item = str(item).strip()
            if not item:
                continue
            ProhibitNullCharactersValidator()(item)
            if len(item) > MAX_TEXT:
                raise ValidationError(f"A value is longer than {MAX_TEXT} characters.")
            if item not in cleaned:
                cleaned.append(item)
        if len(cleaned) > MAX_VALUES:
            raise ValidationError(f"At most {MAX_VALUES} values, please.")
        return cleaned

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class NamedRowsField(ValueListField):
    """Rows named by their natural key, with "Did you mean …?" for a near miss."""

    def __init__(self, *, model, noun, **kwargs):
        super().__init__(**kwargs)
        self.model, self.noun = model, noun

    def find(self, name):
        try:
            return names.find(self.model, name, self.noun)
        except names.UnknownName as error:
            raise ValidationError(str(error)) from None

    def clean(self, value):
        names = super().clean(value)
        errors, rows = [], []
        for name in names:
            try:
                row = self.find(name)
            except ValidationError as error:
                errors.extend(error.messages)
                continue
            if row not in rows:
                rows.append(row)
        if errors:
            raise ValidationError(errors)
        return rows


class NamedRowField(NamedRowsField):
    """One row named by its natural key."""

    def clean(self, value):
        if isinstance(value, list | tuple) and len(value) > 1:
            value = value[-1:]
        rows = super().clean(value)
        return rows[0] if rows else None


class CountryCodesField(ValueListField):
    def clean(self, value):
        codes = super().clean(value)
        for code in codes:
            if not COUNTRY_CODE.fullmatch(code):
                raise ValidationError(
                    f"“{code[:20]}” is not a two-letter country code (ISO 3166: RU, US, SY)."
                )
        return list(dict.fromkeys(code.upper() for code in codes))


class ValueListFilter(django_filters.Filter):
    """A filter applied by the FilterSet as a whole (see ``IncidentFilter.filter_queryset``)."""

    field_class = ValueListField

    def filter(self, qs, value):
        return qs


class NamedRowsFilter(ValueListFilter):
    field_class = NamedRowsField


class NamedRowFilter(ValueListFilter):
    field_class = NamedRowField


class CountryCodesFilter(ValueListFilter):
    field_class = CountryCodesField


class FloatFilter(django_filters.Filter):
    """A finite decimal number ("1e400" and "nan" are errors, not infinities)."""

    field_class = forms.FloatField
