"""FHIR R4 in and out: a treatment course as a ``collection`` Bundle, and back.

:func:`to_bundle` writes a :class:`~iptkit.TreatmentCourse` as plain
JSON-ready data: a Patient holding only the pseudonymous id, an EpisodeOfCare
for the course, a Condition for the diagnosis, CarePlans for the contract and
the maintenance agreement, ClinicalImpressions for the formulation, Goals
with their progress ratings, a Schedule with one Appointment per planned
session, one Encounter per session record, and each symptom measure as a
QuestionnaireResponse (the item answers, with LOINC codes for the PHQ-9 and
the GAD-7) and an Observation (the total, with its severity band).

:func:`from_bundle` reads such a bundle back, and reports everything it
cannot accept in a bundle from elsewhere as one
:class:`~iptkit.ValidationError` with paths into the bundle.

Neither needs a FHIR library.  :func:`validate_bundle` (and
``to_bundle(..., validate=True)``) checks a bundle with the R4B models of
``fhir.resources``, which the ``fhir`` extra installs
(``pip install "iptkit[fhir]"``); without it they raise
:class:`~iptkit.MissingExtraError`.

>>> import datetime as dt
>>> from iptkit import TreatmentCourse
>>> course = TreatmentCourse(patient_id="AB-1", started_on=dt.date(2026, 3, 2))
>>> bundle = to_bundle(course)
>>> bundle["entry"][0]["resource"]["identifier"]
[{'system': 'https://iptkit.org/fhir/sid/patient-id', 'value': 'AB-1'}]
>>> from_bundle(bundle) == course
True
"""

from __future__ import annotations

from iptkit._io._fhir import (
    BASE,
    CODE_SYSTEM,
    EXTENSION,
    LOINC_ANSWERS,
    LOINC_ITEMS,
    NOT_EXPORTED,
    PATIENT_ID_SYSTEM,
    from_bundle,
    to_bundle,
    validate_bundle,
)

__all__ = [
    "BASE",
    "CODE_SYSTEM",
    "EXTENSION",
    "LOINC_ANSWERS",
    "LOINC_ITEMS",
    "NOT_EXPORTED",
    "PATIENT_ID_SYSTEM",
    "from_bundle",
    "to_bundle",
    "validate_bundle",
]
