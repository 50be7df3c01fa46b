"""The form with which CSU creates and edits a session.

The registration window is typed as local date and time in the session's own time zone
(what the announcement says: "closes on 17 May 2027 at 23:59 Vienna time") and stored as
an aware UTC datetime; an existing session's window is shown again in its time zone.
"""

import datetime as dt
import zoneinfo
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..enums import AdmissionRule
from ..models import Session
from ..services import SESSION_FIELDS

DEFAULT_TIME_ZONE = "Europe/Vienna"
DEFAULT_QUOTA = 10
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


REGISTRATION_WINDOW = ("registration_opens", "registration_closes")
SIDE_EVENT_WINDOW = ("side_events_open", "side_events_close")


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as typed (naive): the form gives it the time zone chosen beside it.

    Django would read it in the site's time zone and show stored values in the site's
    time zone; both are wrong for a session held elsewhere, so the form decides, in its
    clean(), with the session's own zone, and shows stored values in `display_zone`.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT_FORMAT)
    input_formats = [LOCAL_INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    default_error_messages = {"invalid": _("Enter a date and a time, such as 2027-05-17 23:59.")}

    def __init__(self, *args, **kwargs):
        self.display_zone = zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)
        kwargs.setdefault("input_formats", self.input_formats)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        # The plain parsing of forms.DateTimeField, without its turn to the site's time zone.
        value = str(value).strip()
        for input_format in self.input_formats:
            try:
                return dt.datetime.strptime(value, input_format)
            except (ValueError, TypeError):
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.make_naive(value, self.display_zone)
        return value


class SessionForm(forms.ModelForm):
    """A session as CSU sets it up; save it with services.save_session(..., data=form.cleaned_data)."""

    time_zone = forms.ChoiceField(
        label=_("Time zone of the venue"),
        choices=time_zone_choices,
        initial=DEFAULT_TIME_ZONE,
        help_text=_("The registration window below is in this time zone, and the pages show it in this time zone."),
    )
    registration_opens = LocalDateTimeField(
        label=_("Registration opens"),
        required=False,
        help_text=_("Local date and time at the venue."),
    )
    registration_closes = LocalDateTimeField(
        label=_("Registration closes"),
        required=False,
        help_text=_("Local date and time at the venue, such as 23:59 on the last day."),
    )
    side_events_open = LocalDateTimeField(
        label=_("Side-event applications open"),
        required=False,
        help_text=_("Local date and time at the venue."),
    )
    side_events_close = LocalDateTimeField(
        label=_("Side-event applications close"),
        required=False,
        help_text=_("Local date and time at the venue."),
    )

    class Meta:
        model = Session
        fields = list(SESSION_FIELDS)
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {
            "commission": _("Commission"),
            "number": _("Session number"),
            "start_date": _("First day"),
            "end_date": _("Last day"),
            "quota_per_organization": _("Representatives per organization"),
            "admission_rule": _("Who may take part"),
        }
        help_texts = {
            "number": _("The session's number, such as 70 for the 70th session; it makes the address /sessions/cnd/70/."),
            "title": _("As the session is announced, such as “70th session of the Commission on Narcotic Drugs”."),
            "venue": _("Such as “Vienna International Centre, Vienna”."),
            "quota_per_organization": _("How many representatives one organization may register (10 for the CND and the CCPCJ)."),
        }
        error_messages = {
            "start_date": {"invalid": _("Enter a date, such as 2027-03-15.")},
            "end_date": {"invalid": _("Enter a date, such as 2027-03-19.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial.setdefault("quota_per_organization", DEFAULT_QUOTA)
        self.fields["commission"].empty_label = _("Choose the commission")
        self.fields["quota_per_organization"].widget.attrs.update(min=1)
        self.fields["number"].widget.attrs.update(min=1)
        self.fields["admission_rule"].choices = [("", self._commission_rule_label()), *AdmissionRule.choices]
        zone = self._display_zone()
        for name in (*REGISTRATION_WINDOW, *SIDE_EVENT_WINDOW):
            self.fields[name].display_zone = zone

    def _commission_rule_label(self) -> str:
        commission = self.instance.commission if self.instance.commission_id else None
        if commission is None:
            return str(_("As the commission"))
        return str(_("As the commission: %(rule)s") % {"rule": commission.get_admission_rule_display()})

    def _display_zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.instance.time_zone or DEFAULT_TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        if number is not None and number < 1:
            raise ValidationError(_("Enter the session's number, 1 or more."), code="number_too_small")
        return number

    def clean_quota_per_organization(self) -> int:
        quota = self.cleaned_data["quota_per_organization"]
        if quota is not None and quota < 1:
            raise ValidationError(_("An organization must be able to register at least one representative."), code="quota_too_small")
        return quota

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("start_date"), cleaned_data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", ValidationError(_("The last day cannot be before the first day."), code="dates_reversed"))

        commission, number = cleaned_data.get("commission"), cleaned_data.get("number")
        if commission and number and Session.objects.filter(commission=commission, number=number).exclude(pk=self.instance.pk).exists():
            self.add_error(
                "number",
                ValidationError(
                    _("%(commission)s already has a session number %(number)s."),
                    code="duplicate_number",
                    params={"commission": commission, "number": number},
                ),
            )

        self._localize_window(cleaned_data, REGISTRATION_WINDOW)
        self._localize_window(cleaned_data, SIDE_EVENT_WINDOW)
        return cleaned_data

    def _localize_window(self, cleaned_data, names: tuple[str, str]) -> None:
        """Read the typed window in the session's time zone; store it as UTC."""
        if any(name in self.errors for name in names):
            return
        opens, closes = (cleaned_data.get(name) for name in names)
        if (opens is None) != (closes is None):
            missing = names[1] if closes is None else names[0]
            self.add_error(
                missing,
                ValidationError(_("Give both the opening and the closing time, or neither."), code="window_incomplete"),
            )
            return
        zone_name = cleaned_data.get("time_zone")
        if zone_name is None:
            return  # the time zone's own error says what to fix
        zone = zoneinfo.ZoneInfo(zone_name)
        for name in names:
            local = cleaned_data.get(name)
            if local is None:
                continue
            if timezone.is_aware(local):
                cleaned_data[name] = local.astimezone(dt.UTC)
                continue
            aware = local.replace(tzinfo=zone)
            # A time skipped when the clocks go forward does not come back unchanged.
            if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != local:
                self.add_error(
                    name,
                    ValidationError(
                        _("%(time)s does not exist in %(zone)s: the clocks change that night. Choose another time."),
                        code="nonexistent_time",
                        params={"time": local.strftime("%H:%M"), "zone": zone_name},
                    ),
                )
                continue
            cleaned_data[name] = aware.astimezone(dt.UTC)
