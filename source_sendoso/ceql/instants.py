"""The connector's one clock: it reads every date form and writes the one form instants are kept in.

Reading. The date forms of docs/ceql.md:

    2017-01-01                      date alone: its midnight UTC
    2013-04-24 11:19:25             no offset: UTC
    2016-08-05T09:35:38Z
    2018-01-15T00:00:00.000Z
    2012-05-25T11:13:29-0500
    2020-05-01T13:53:05.000-07:00

The date and time are joined by `T` or a space; the fraction is optional and may have
any number of digits (beyond milliseconds it is truncated); the offset is optional and
is `Z`, `+HH:MM`, `-HH:MM`, `+HHMM` or `-HHMM`. Anything else (including an impossible
day such as 2023-02-30) is not a date form: CEQL then compares it as text, and the
connector leaves it as it came.

Writing. One form, `2024-01-02T03:04:05.000Z`: UTC, milliseconds. Records' timestamps,
cursor values, states, the cursor's CEQL literal (`updated_at >= '...'`) and the stored
token expiry are all written in it. The CDK's cursor writes states itself, from the
manifest's `datetime_format`, which is `CURSOR_DATETIME_FORMAT` (a test holds the two
together), so a state read back is written back unchanged. The CDK also reads the config's
start date itself (`format_datetime` in the manifest) and writes it in the one form; tests hold
its reading to this one for every form the spec admits.

It lives in ceql/ because CEQL defines the date forms and must stand alone (standard
library only, nothing from outside ceql/), while everything else in the connector may
import ceql; a clock outside ceql/ would leave CEQL a reader of its own.

Reading is on the hot path (one call per record per date condition): the regex decides
whether text is a date form, C code (datetime.fromisoformat) reads it, and a small LRU
cache absorbs repeats. `parse_by_arithmetic` is the plain reading of the same rules,
used on Python 3.10 and as the reference the fast path is tested against.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Optional

# The offset's range is checked here (hours 00-23, minutes 00-59) because
# datetime.fromisoformat would take `+05:60` as six hours.
_DATE_FORM = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:Z|([+-])([01][0-9]|2[0-3]):?([0-5][0-9]))?)?"
)

# The one form instants are written in, as a pattern and as the CDK's datetime format
# (its `%_ms` is milliseconds, three digits). The manifest's cursor uses the latter.
_UTC_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
CURSOR_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%_msZ"

_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_MS = timedelta(milliseconds=1)


def instant_ms(text: str) -> Optional[int]:
    """Epoch milliseconds of `text` if it is in a date form, else None."""
    # Cheap rejection first: most non-date text fails here without touching the cache.
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    return _cached_parse(text)


def instant(value: object) -> Optional[datetime]:
    """The instant of `value` if it is text in a date form (an aware datetime), else None.

    The same reading as `instant_ms`, kept as a datetime: in the offset the text was written
    in (UTC when it has none), so that comparing two costs no conversion and an instant at
    the very edge of the calendar (year 1 in +01:00) is still read; `utc_text` converts.
    """
    if type(value) is not str:
        return None
    if not _FROMISOFORMAT_READS_DATE_FORMS:
        epoch_ms = instant_ms(value)
        try:
            return None if epoch_ms is None else _EPOCH_UTC + timedelta(milliseconds=epoch_ms)
        except OverflowError:  # in UTC before year 1 or after 9999: no datetime holds it
            return None
    if len(value) < 10 or _DATE_FORM.fullmatch(value) is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:  # an impossible day or time: not a date form
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def utc_text(moment: datetime) -> str:
    """`moment` (aware) in the one form, `YYYY-MM-DDTHH:MM:SS.mmmZ`, milliseconds truncated.

    Raises OverflowError for an instant within hours of year 1 or 9999 that has no UTC day."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def utc_text_of(text: object) -> Optional[str]:
    """The one form of the instant `text` names in a date form; None for anything else
    (including an instant with no UTC day to write it on)."""
    moment = instant(text)
    if moment is None:
        return None
    try:
        return utc_text(moment)
    except OverflowError:
        return None


def is_utc_text(text: object) -> bool:
    """Whether `text` is an instant written in the one form."""
    return type(text) is str and _UTC_TEXT.fullmatch(text) is not None and instant_ms(text) is not None


def parse_by_arithmetic(text: str) -> Optional[int]:
    """The reference reading: regex groups and civil-date arithmetic, any Python."""
    match = _DATE_FORM.fullmatch(text)
    if match is None:
        return None
    year_s, month_s, day_s, hour_s, minute_s, second_s, fraction, sign, off_h, off_m = match.groups()
    year, month, day = int(year_s), int(month_s), int(day_s)
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return None
    seconds = _days_from_civil(year, month, day) * 86400
    if hour_s is not None:
        hour, minute, second = int(hour_s), int(minute_s), int(second_s)
        if hour > 23 or minute > 59 or second > 59:
            return None
        seconds += hour * 3600 + minute * 60 + second
        if sign is not None:
            offset = int(off_h) * 3600 + int(off_m) * 60
            # Local time = UTC + offset, so UTC = local - offset.
            seconds += -offset if sign == "+" else offset
    milliseconds = int((fraction or "")[:3].ljust(3, "0"))
    return seconds * 1000 + milliseconds


def parse_with_datetime(text: str) -> Optional[int]:
    """The same reading, about three times faster: the regex decides the form (Python's
    fromisoformat alone accepts far more, e.g. week dates), then C code reads it. It
    checks the calendar (month, day, hour, minute, second ranges) by raising ValueError
    and truncates fractions to microseconds; `// 1 ms` floors to milliseconds, which is
    the same as dropping the digits after the third."""
    if _DATE_FORM.fullmatch(text) is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment - (_EPOCH_NAIVE if moment.tzinfo is None else _EPOCH_UTC)) // _ONE_MS


# Python 3.10's fromisoformat reads only its own output (no `Z`, no `-0500`).
_FROMISOFORMAT_READS_DATE_FORMS = sys.version_info >= (3, 11)
_parse = parse_with_datetime if _FROMISOFORMAT_READS_DATE_FORMS else parse_by_arithmetic

# Record timestamps repeat (a page of sends created the same minute, the same field in
# two conditions of one filter); the cache makes those repeats one dict lookup.
_cached_parse = lru_cache(maxsize=4096)(_parse)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month]


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468
