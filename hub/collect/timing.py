"""When a reminder may go: the customer's contact hours, weekends, holidays, the cap.

These rules bind every send, however it was started (by hand, the in-process
schedule or a worker): :func:`wait_for` is asked right before a reminder is
handed to the mail server, with the sender's clock.

- **Where the customer is**: its record's ``time_zone`` metadata, else every
  zone of its ``country`` metadata (the hour must suit all of them: a
  country over many zones gets the hours they share), else the company's
  ``[collections] time_zone``.
- **Contact hours**: ``[collections] contact_hours`` (08:00-21:00 unless
  narrowed), in each of those zones.
- **Weekends and holidays off** (when configured): not on a Saturday or
  Sunday, nor on a public holiday of the customer's country (else the
  company's), in any of those zones.
- **Contact cap**: at most ``max_contacts`` reminders handed to the server for
  one customer in any ``contact_window_days``.

A reminder stopped by one of them is not held but waits: it stays queued, and
the hold says until when.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays as holiday_lib
import orjson

from hub.collect.holds import CONTACT_CAP, CONTACT_HOURS, HOLIDAY, WEEKEND, Hold
from hub.collect.settings import CollectionSettings, holiday_calendar, zone
from hub.store import Connection, lookups
from hub.store import reminders as store_reminders

STEP = timedelta(minutes=15)
HORIZON = timedelta(days=21)
ZONE_KEYS = ("time_zone", "timezone", "tz")
COUNTRY_KEYS = ("country", "country_code")


@dataclass(frozen=True, slots=True)
class Place:
    """Where a customer's clock is read: one zone, or all the zones of its country."""

    zones: tuple[ZoneInfo, ...]
    country: str | None
    """Whose public holidays count (the customer's country, else the company's)."""
    how: str
    """``its time zone America/Chicago``, ``every zone of US``, ``the company's ...``."""


@functools.cache
def country_zones(country: str) -> tuple[str, ...]:
    """The IANA zones of ``country`` (ISO 3166 code) in the system's ``zone.tab``."""
    for folder in zoneinfo.TZPATH:
        table = Path(folder) / "zone.tab"
        if table.exists():
            found = []
            for line in table.read_text(encoding="utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) >= 3 and not line.startswith("#") and parts[0] == country:
                    found.append(parts[2])
            return tuple(found)
    return ()


def place_of(settings: CollectionSettings, metadata: dict[str, str] | None) -> Place:
    """Where the customer with this record metadata is (see the module's docstring)."""
    meta = {k.casefold(): str(v).strip() for k, v in (metadata or {}).items()}
    country = next((meta[k].upper() for k in COUNTRY_KEYS if meta.get(k)), None)
    try:
        country = holiday_calendar(country) if country else None
    except ValueError:
        country = None
    for key in ZONE_KEYS:
        if meta.get(key):
            try:
                return Place((zone(meta[key]),), country or settings.country,
                             f"its time zone {meta[key]}")
            except ValueError:
                break
    if country:
        names = country_zones(country)
        if names:
            return Place(tuple(ZoneInfo(n) for n in names), country,
                         f"every time zone of {country}" if len(names) > 1 else names[0])
    return Place((zone(settings.time_zone),), settings.country,
                 f"the company's time zone {settings.time_zone}")


@functools.cache
def _holidays(country: str, year: int) -> holiday_lib.HolidayBase:
    return holiday_lib.country_holidays(country, years=year)


@dataclass(frozen=True, slots=True)
class Rules:
    """The timing rules of ``[collections]``."""

    start: time
    end: time
    weekends_off: bool
    holidays_off: bool

    @classmethod
    def of(cls, settings: CollectionSettings) -> Rules:
        hours = settings.contact_hours
        return cls(hours.start, hours.end, settings.weekends_off, settings.holidays_off)


def stopped_by(rules: Rules, place: Place, moment: datetime) -> tuple[str, str] | None:
    """The first timing rule (and its reason) that stops a reminder to ``place`` at
    ``moment``, or None."""
    for tz in place.zones:
        local = moment.astimezone(tz)
        if not rules.start <= local.time().replace(tzinfo=None) < rules.end:
            return CONTACT_HOURS, (f"it is {local:%H:%M} in {tz.key}, outside the contact "
                                   f"hours {rules.start:%H:%M}-{rules.end:%H:%M}")
        if rules.weekends_off and local.weekday() >= 5:
            return WEEKEND, f"it is {local:%A} in {tz.key}"
        if rules.holidays_off and place.country:
            name = _holiday(place.country, local.date())
            if name:
                return HOLIDAY, f"{local.date()} is {name} in {place.country}"
    return None


def _holiday(country: str, day: date) -> str | None:
    found = _holidays(country, day.year).get(day)
    return None if found is None else str(found)


def _contact_cap(conn: Connection, settings: CollectionSettings, customer: str,
                 now: datetime) -> Hold | None:
    window = timedelta(days=settings.contact_window_days)
    contacts = store_reminders.contacts_since(conn, customer, now - window)
    if len(contacts) < settings.max_contacts:
        return None
    frees = contacts[len(contacts) - settings.max_contacts] + window
    return Hold(CONTACT_CAP, f"{len(contacts)} reminder(s) went to {customer} in the last "
                             f"{settings.contact_window_days} days, the most "
                             f"[collections] max_contacts allows", until=frees)


@functools.lru_cache(maxsize=1024)
def next_allowed(rules: Rules, place: Place, now: datetime) -> datetime | None:
    """The first quarter hour from ``now`` at which no timing rule stops a reminder to
    ``place`` (None: none within three weeks). Worked out once per place and moment:
    the reminders of one send share both, and a country over many zones costs a search."""
    moment = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    end = now + HORIZON
    while moment < end:
        moment += STEP
        if stopped_by(rules, place, moment) is None:
            return moment
    return None


def wait_for(conn: Connection, settings: CollectionSettings, customer: str | None,
             place: Place, now: datetime) -> Hold | None:
    """Why a reminder to ``customer`` at ``place`` may not go at ``now``, or None."""
    rules = Rules.of(settings)
    stopped = stopped_by(rules, place, now)
    if stopped is not None:
        rule, reason = stopped
        until = next_allowed(rules, place, now)
        if until is None:
            return Hold(rule, f"{reason}; no hour within three weeks suits {place.how}: set "
                              "the customer's time_zone metadata", until=now + HORIZON)
        return Hold(rule, f"{reason} ({place.how}); it goes from {until:%Y-%m-%d %H:%M} UTC",
                    until=until)
    if customer is not None:
        return _contact_cap(conn, settings, customer, now)
    return None


def customer_metadata(conn: Connection, customer: str | None) -> dict[str, str]:
    """The metadata of the customer record named ``SOURCE:customer:ID`` (empty when it is
    not such a name or the record is gone)."""
    if customer is None or customer.count(":") < 2:
        return {}
    source, entity, ext = customer.split(":", 2)
    if entity != "customer":
        return {}
    copy = lookups.synced_copy(conn, source, "customer", ext)
    if copy is None:
        return {}
    meta = orjson.loads(copy.data).get("metadata") or {}
    return {str(k): str(v) for k, v in meta.items()}
