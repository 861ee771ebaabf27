"""Dated life events around the onset of an episode.

Domain reference §2.2 and §5: the initial phase records the life events of the
patient's recent past with their dates relative to the onset of symptoms, and
the relationships each one touched.  Those events, with the interpersonal
inventory, are what the focus area is chosen from (see :func:`iptkit.classify`).
"""

from __future__ import annotations

import datetime as dt
import enum

from iptkit._model import field, model

__all__ = ["LifeEvent", "LifeEventKind"]


class LifeEventKind(enum.Enum):
    """What kind of thing happened (domain reference §2.2, trigger column).

    >>> LifeEventKind("job_loss")
    <LifeEventKind.JOB_LOSS: 'job_loss'>
    """

    #: The death of someone (name them with ``person``).
    DEATH = "death"
    #: A couple separates (without, or before, a divorce).
    SEPARATION = "separation"
    #: A divorce.
    DIVORCE = "divorce"
    #: A marriage or civil partnership.
    MARRIAGE = "marriage"
    #: A new partner or a new close relationship.
    NEW_RELATIONSHIP = "new_relationship"
    #: The birth (or adoption) of a child.
    BIRTH_OF_CHILD = "birth_of_child"
    #: A child moves out.
    CHILD_LEAVING_HOME = "child_leaving_home"
    #: A new job or a new role at work.
    NEW_JOB = "new_job"
    #: Losing a job.
    JOB_LOSS = "job_loss"
    #: Retirement.
    RETIREMENT = "retirement"
    #: Moving home, town or country.
    RELOCATION = "relocation"
    #: A change of school, college or university.
    SCHOOL_CHANGE = "school_change"
    #: A new serious medical diagnosis (the patient's own).
    ILLNESS_DIAGNOSIS = "illness_diagnosis"
    #: Open or hidden conflict with someone (name them with ``person``).
    CONFLICT = "conflict"
    #: Anything else worth recording; no rule maps it to a focus area.
    OTHER = "other"


@model(kw_only=False)
class LifeEvent:
    """One dated life event.

    The four fields can be given by position, in the order kind, date,
    person, description.

    >>> import datetime as dt
    >>> event = LifeEvent(LifeEventKind.DEATH, dt.date(2024, 3, 1), "P1", "Husband died")
    >>> event.kind.value, event.date.isoformat()
    ('death', '2024-03-01')
    >>> "Husband" in repr(event) or "P1" in repr(event)
    False

    Bad values raise :class:`~iptkit.ValidationError`:

    >>> LifeEvent(LifeEventKind.DEATH, dt.date(2024, 3, 1), person="")
    Traceback (most recent call last):
    ...
    iptkit._errors.ValidationError: 1 validation issue:
      $.person: Person must not be empty. [too_short]
    """

    kind: LifeEventKind = field(doc="What happened.")
    date: dt.date = field(doc="The calendar day it happened (or began).")
    person: str | None = field(
        default=None,
        min_len=1,
        max_len=64,
        private=True,
        doc="Label of the person concerned, as in the interpersonal inventory.",
    )
    description: str | None = field(
        default=None,
        min_len=1,
        max_len=2000,
        private=True,
        doc="What happened, in words.",
    )

    @property
    def sort_key(self) -> tuple[dt.date, str, str, str]:
        """A key that puts events in a fixed order: by date, then kind, person, text."""
        return (self.date, self.kind.value, self.person or "", self.description or "")
