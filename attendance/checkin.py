"""Checking in at the door (docs/checkin.md): a meeting's check-in window and its rotating codes.

A code is 6 characters from an alphabet of 32 that cannot be mistaken for one another (no 0/O,
no 1/I). It is derived, never stored: an HMAC of the meeting's id and the current 30-second
step, keyed with SECRET_KEY. The code of the step before still works (someone who read it just
before it changed), older ones do not.
"""

import datetime
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from sections.models import Meeting, format_clock

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
STEP_SECONDS = 30
# Meetings whose codes a typed code is compared with: those starting within this of now (a
# window opens at most 2 hours before the start: Term.checkin_opens_before), so that a code of
# a cancelled, past or future meeting is refused with its reason, not as an unknown code.
SEARCHED = datetime.timedelta(hours=30)


def step_of(at):
    return int(at.timestamp()) // STEP_SECONDS


def code_for(meeting_id, step):
    """The code of meeting `meeting_id` during the 30-second `step`."""
    message = f"readinggroup.checkin:{meeting_id}:{step}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def current_code(meeting, at):
    return code_for(meeting.pk, step_of(at))


def seconds_left(at):
    """Seconds until the code shown at `at` changes."""
    return STEP_SECONDS - int(at.timestamp()) % STEP_SECONDS


def normalise_code(text):
    """What a member typed, as a code: capitals, without spaces or dashes."""
    return "".join(char for char in text.upper() if char not in " -\t")


def code_matches(meeting, code, at):
    """Is `code` (normalised) `meeting`'s code now, or of the 30 seconds before?"""
    step = step_of(at)
    return any(hmac.compare_digest(code, code_for(meeting.pk, s)) for s in (step, step - 1))


def meeting_for_code(code, at):
    """The meeting whose code `code` is at `at` (or was 30 seconds before), among those starting
    within a day or so of `at`, whatever their state (the check-in says why it is refused);
    None when no meeting has this code."""
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    candidates = Meeting.objects.filter(
        starts_at__gte=at - SEARCHED, starts_at__lte=at + SEARCHED
    ).select_related("section__term", "week")
    for meeting in candidates:
        if code_matches(meeting, code, at):
            return meeting
    return None


@dataclass(frozen=True)
class Window:
    opens: datetime.datetime
    closes: datetime.datetime

    def __contains__(self, at):
        return self.opens <= at < self.closes


def window_of(meeting):
    """When members may check in to `meeting`: from the term's `checkin_opens_before` before it
    starts until it ends (None for a meeting without a date)."""
    if meeting.starts_at is None or meeting.ends_at is None:
        return None
    term = meeting.section.term
    return Window(opens=meeting.starts_at - term.checkin_opens_before, closes=meeting.ends_at)


def _clock(meeting, moment):
    return format_clock(moment.astimezone(meeting.section.term.tz).time())


def check_open(meeting, at):
    """Raise a ValidationError saying why nobody can check in to `meeting` at `at`, if so."""
    if meeting.is_cancelled:
        raise ValidationError("This meeting was cancelled: there is no check-in.", code="cancelled")
    window = window_of(meeting)
    if window is None:
        raise ValidationError("This meeting has no date yet.", code="no_date")
    if at < window.opens:
        raise ValidationError(
            "Check-in for this meeting is not open yet: it opens at %(time)s on %(day)s.",
            code="not_open",
            params={
                "time": _clock(meeting, window.opens),
                "day": window.opens.astimezone(meeting.section.term.tz).strftime("%A %-d %B"),
            },
        )
    if at >= window.closes:
        raise ValidationError(
            "Check-in for this meeting is closed: it ended at %(time)s.",
            code="closed",
            params={"time": _clock(meeting, window.closes)},
        )


def is_open(meeting, at):
    window = window_of(meeting)
    return not meeting.is_cancelled and window is not None and at in window
