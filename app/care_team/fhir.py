"""FHIR R4 export of a patient's collaborative-care record as a Bundle (type "collection").

Resources: Patient, Practitioner (the team members the others refer to), CareTeam, CarePlan, Goal,
MedicationStatement, a QuestionnaireResponse per PHQ-9/GAD-7, a Consent per consent to coordinated
care given (inactive once withdrawn) and a Communication per secure message (read through
``messages_port``: messaging sits above the care team). Each resource is validated with the
``fhir.resources`` R4B models; they check structure and cardinality but not code values, so every
status we write is mapped here and checked against the R4 value set before it goes out.

Every entry has a ``urn:uuid`` fullUrl (stable across exports: a UUIDv5 of the server and local id)
and every reference points to one of them, so the bundle is self-contained.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.careteam import CareTeam as FhirCareTeam
from fhir.resources.R4B.communication import Communication as FhirCommunication
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.goal import Goal as FhirGoal
from fhir.resources.R4B.medicationstatement import MedicationStatement as FhirMedicationStatement
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQuestionnaireResponse
from pydantic import BaseModel
from sqlalchemy import select

from app.accounts.user import User
from app.audit import service as audit
from app.care_team import access, consent, messages_port
from app.care_team.assessment import Assessment
from app.care_team.measures import GAD7_ITEMS, ITEM_COUNT, LOINC, PHQ9_ITEMS, Instrument
from app.care_team.medication import Medication, MedicationStatus
from app.care_team.member import CareTeamMember
from app.care_team.plan import CarePlan
from app.db import utcnow
from app.extensions import db

LOINC_SYSTEM = "http://loinc.org"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
MODELS: dict[str, type[BaseModel]] = {
    "Patient": FhirPatient,
    "Practitioner": FhirPractitioner,
    "CareTeam": FhirCareTeam,
    "Consent": FhirConsent,
    "CarePlan": FhirCarePlan,
    "Goal": FhirGoal,
    "MedicationStatement": FhirMedicationStatement,
    "QuestionnaireResponse": FhirQuestionnaireResponse,
    "Communication": FhirCommunication,
}

# R4 value sets (required bindings) for the status elements we fill.
VALUE_SETS = {
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("CarePlan", "activity.detail.status"): {
        "not-started",
        "scheduled",
        "in-progress",
        "on-hold",
        "completed",
        "cancelled",
        "stopped",
        "unknown",
        "entered-in-error",
    },
    ("CareTeam", "status"): {"proposed", "active", "suspended", "inactive", "entered-in-error"},
    ("Consent", "status"): {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"},
    ("Goal", "lifecycleStatus"): {
        "proposed",
        "planned",
        "accepted",
        "active",
        "on-hold",
        "completed",
        "cancelled",
        "entered-in-error",
        "rejected",
    },
    ("MedicationStatement", "status"): {
        "active",
        "completed",
        "entered-in-error",
        "intended",
        "stopped",
        "on-hold",
        "unknown",
        "not-taken",
    },
    ("QuestionnaireResponse", "status"): {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    ("Communication", "status"): {
        "preparation",
        "in-progress",
        "not-done",
        "on-hold",
        "stopped",
        "completed",
        "entered-in-error",
        "unknown",
    },
    ("Communication", "priority"): {"routine", "urgent", "asap", "stat"},
}

# Our statuses → FHIR. A status we do not know becomes "unknown" (never a made-up code).
MEDICATION_STATUS: dict[str, str] = {MedicationStatus.ACTIVE: "active", MedicationStatus.DISCONTINUED: "stopped"}
GOAL_STATUS = {  # ours → (lifecycleStatus, achievementStatus code)
    "active": ("active", "in-progress"),
    "met": ("completed", "achieved"),
    "not_met": ("cancelled", "not-achieved"),
    "on_hold": ("on-hold", None),
}
ITEM_TEXT: dict[str, tuple[str, ...]] = {Instrument.PHQ9: PHQ9_ITEMS, Instrument.GAD7: GAD7_ITEMS}
TOTAL_TEXT: dict[str, str] = {i: f"{i} total score" for i in Instrument}


class InvalidStatus(ValueError):
    """A status outside its FHIR value set: a bug in a mapping, never sent."""


def check_status(resource: str, element: str, code: str) -> str:
    if code not in VALUE_SETS[(resource, element)]:
        raise InvalidStatus(f"{resource}.{element} {code!r} is not in the R4 value set")
    return code


def goal_status(ours: str) -> tuple[str, str | None]:
    lifecycle, achievement = GOAL_STATUS.get(ours, ("active", None))
    return check_status("Goal", "lifecycleStatus", lifecycle), achievement


def medication_status(ours: str) -> str:
    return check_status("MedicationStatement", "status", MEDICATION_STATUS.get(ours, "unknown"))


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class _Bundle:
    """Collects resources with stable urn:uuid fullUrls."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.entries: list[dict[str, Any]] = []

    def url(self, kind: str, local_id: str) -> str:
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.server}/{kind}/{local_id}"))

    def ref(self, kind: str, local_id: str, display: str | None = None) -> dict[str, str]:
        out = {"reference": self.url(kind, local_id)}
        if display:
            out["display"] = display
        return out

    def add(self, resource: dict[str, Any]) -> None:
        kind = resource["resourceType"]
        model = MODELS[kind].model_validate(resource)  # structure, cardinality, choice types
        self.entries.append(
            {"fullUrl": self.url(kind, resource["id"]), "resource": model.model_dump(mode="json", exclude_none=True)}
        )


@dataclass(frozen=True)
class Record:
    """What the export reads from the database, loaded by ``load`` (the builders run no query)."""

    patient: User
    members: list[tuple[User, datetime | None]]  # (clinician, added to the team at), by name
    plan: CarePlan | None
    medications: list[Medication]
    assessments: list[Assessment]
    consents: list[consent.CareConsent]
    messages: list[messages_port.MessageEntry] = field(default_factory=list)

    @property
    def team_ids(self) -> set[int]:
        return {m.id for m, _ in self.members}


def export(user: User, patient_id: int, server: str, now: datetime | None = None) -> dict[str, Any]:
    """The patient's record as a validated FHIR R4 Bundle (a JSON-ready dict); the read is audited."""
    patient = access.patient_or_member(user, patient_id)
    record = load(patient)
    bundle = build(record, server, now or utcnow())
    audit.record("fhir_export.read", actor=user, patient_id=patient.id, object_type="fhir_bundle")
    db.session.commit()
    return bundle


def load(patient: User) -> Record:
    """Every row the export shows, one query per kind."""
    members = db.session.execute(
        select(User, CareTeamMember.added_at)
        .join(CareTeamMember, CareTeamMember.clinician_id == User.id)
        .where(CareTeamMember.patient_id == patient.id)
        .order_by(User.name, User.id)
    ).all()
    return Record(
        patient=patient,
        members=[(m, added) for m, added in members],
        plan=db.session.scalar(select(CarePlan).where(CarePlan.patient_id == patient.id)),
        medications=list(
            db.session.scalars(select(Medication).where(Medication.patient_id == patient.id).order_by(Medication.id))
        ),
        assessments=list(
            db.session.scalars(
                select(Assessment)
                .where(Assessment.patient_id == patient.id)
                .order_by(Assessment.created_at, Assessment.id)
            )
        ),
        consents=list(consent.history(patient.id)),
        messages=messages_port.thread(patient.id),
    )


def build(record: Record, server: str, now: datetime) -> dict[str, Any]:
    """The Bundle for ``record``: each resource kind from its builder, in the order of the file."""
    b = _Bundle(server)
    patient = record.patient
    patient_ref = b.ref("Patient", str(patient.id), patient.name)
    b.add(patient_resource(patient))
    for member, _ in record.members:
        b.add(practitioner_resource(member))
    b.add(care_team_resource(b, patient, patient_ref, record.members))
    goals = goal_resources(patient, patient_ref, record.plan)
    for goal in goals:
        b.add(goal)
    b.add(care_plan_resource(b, patient, patient_ref, record.plan, [b.ref("Goal", g["id"]) for g in goals],
                             record.team_ids))  # fmt: skip
    for med in record.medications:
        b.add(medication_resource(b, patient_ref, med, record.team_ids))
    for a in record.assessments:
        if a.instrument in LOINC:
            b.add(questionnaire_response(b, patient, patient_ref, a, record.team_ids))
    for row in record.consents:
        b.add(consent_resource(patient_ref, row, server))
    for message in record.messages:
        b.add(communication_resource(b, patient, patient_ref, message, record.team_ids))
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "id": str(uuid.uuid4()),
            "type": "collection",
            "timestamp": _instant(now),
            "entry": b.entries,
        }
    )
    return bundle.model_dump(mode="json", exclude_none=True)


# --- one builder per resource kind: rows in, a FHIR resource (a dict) out ------------------------


def patient_resource(patient: User) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": str(patient.id),
        "active": patient.is_enabled,
        "name": [{"text": patient.name}],
        "telecom": [{"system": "email", "value": patient.email}],
        "address": [{"state": patient.patient.state, "country": "US"}] if patient.patient else None,
    }


def practitioner_resource(member: User) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": str(member.id),
        "active": member.is_enabled,
        "name": [{"text": member.name}],
        "qualification": [{"code": {"text": member.clinician.credential if member.clinician else None}}],
    }


def care_team_resource(
    b: _Bundle, patient: User, patient_ref: dict[str, str], members: list[tuple[User, datetime | None]]
) -> dict[str, Any]:
    return {
        "resourceType": "CareTeam",
        "id": f"team-{patient.id}",
        "status": check_status("CareTeam", "status", "active" if members else "inactive"),
        "name": f"Care team of {patient.name}",
        "subject": patient_ref,
        "participant": [{"role": [{"text": "patient"}], "member": patient_ref}]
        + [
            {
                "role": [{"text": m.clinician.clinical_role if m.clinician else None}],
                "member": b.ref("Practitioner", str(m.id), m.name),
                "period": {"start": _instant(added)},
            }
            for m, added in members
        ],
    }


def goal_resources(patient: User, patient_ref: dict[str, str], plan: CarePlan | None) -> list[dict[str, Any]]:
    """One Goal per goal of the plan, in the patient's own words."""
    out = []
    for n, goal in enumerate(list(plan.goals) if plan else [], start=1):
        lifecycle, achievement = goal_status(goal.get("status", "active"))
        resource: dict[str, Any] = {
            "resourceType": "Goal",
            "id": f"goal-{patient.id}-{n}",
            "lifecycleStatus": lifecycle,
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/goal-category",
                            "code": "behavioral",
                            "display": "Behavioral",
                        }
                    ]
                }
            ],
            "description": {"text": goal["text"]},
            "subject": patient_ref,
            "expressedBy": patient_ref,  # the patient's own words
        }
        if achievement:
            resource["achievementStatus"] = {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-achievement", "code": achievement}]
            }
        if goal.get("target"):
            resource["target"] = [{"measure": {"text": "Patient-stated target"}, "detailString": goal["target"]}]
        out.append(resource)
    return out


def care_plan_resource(
    b: _Bundle,
    patient: User,
    patient_ref: dict[str, str],
    plan: CarePlan | None,
    goal_refs: list[dict[str, str]],
    team_ids: set[int],
) -> dict[str, Any]:
    activities = []
    for item in plan.interventions if plan else []:
        detail: dict[str, Any] = {
            "status": check_status("CarePlan", "activity.detail.status", "in-progress"),
            "description": item["text"] + (f" ({item['modality']})" if item.get("modality") else ""),
        }
        if item.get("owner_id") in team_ids:
            detail["performer"] = [b.ref("Practitioner", str(item["owner_id"]))]
        activities.append({"detail": detail})
    notes = [
        {
            "text": "Problem: "
            + p["text"]
            + (f" (ICD-10 {p['code']})" if p.get("code") else "")
            + (f", resolved {p.get('resolved_on') or ''}".rstrip() if p.get("status") == "resolved" else "")
        }
        for p in (plan.problems if plan else [])
    ]
    has_plan = plan is not None and plan.version > 0
    return {
        "resourceType": "CarePlan",
        "id": f"plan-{patient.id}",
        "status": check_status("CarePlan", "status", "active" if has_plan else "draft"),
        "intent": check_status("CarePlan", "intent", "plan"),
        "title": "Shared collaborative care plan",
        "subject": patient_ref,
        "careTeam": [b.ref("CareTeam", f"team-{patient.id}")],
        "goal": goal_refs or None,
        "activity": activities or None,
        "note": notes or None,
        "meta": {"versionId": str(plan.version), "lastUpdated": _instant(plan.updated_at)}
        if plan is not None and has_plan
        else None,
    }


def medication_resource(b: _Bundle, patient_ref: dict[str, str], med: Medication, team_ids: set[int]) -> dict[str, Any]:
    dosage = ", ".join(part for part in (med.dose, med.frequency) if part)
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": f"med-{med.id}",
        "status": medication_status(med.status),
        "medicationCodeableConcept": {"text": med.name},
        "subject": patient_ref,
        "effectivePeriod": {"start": _instant(med.started_at), "end": _instant(med.discontinued_at)},
        "dosage": [{"text": dosage + (f". {med.instructions}" if med.instructions else "")}],
    }
    if med.reason and med.status == MedicationStatus.DISCONTINUED:
        resource["statusReason"] = [{"text": med.reason}]
    if med.prescribed_by in team_ids:
        resource["informationSource"] = b.ref("Practitioner", str(med.prescribed_by))
    return resource


def questionnaire_response(
    b: _Bundle, patient: User, patient_ref: dict[str, str], a: Assessment, team_ids: set[int]
) -> dict[str, Any]:
    """A PHQ-9 or GAD-7 with its items, its LOINC panel and total, and who answered it."""
    codes = LOINC[a.instrument]
    items = [
        {"linkId": str(n), "text": text, "answer": [{"valueInteger": int(value)}]}
        for n, (text, value) in enumerate(zip(ITEM_TEXT[a.instrument], a.answers, strict=False), start=1)
    ][: ITEM_COUNT[a.instrument]]
    items.append({"linkId": codes["total"], "text": TOTAL_TEXT[a.instrument], "answer": [{"valueInteger": a.score}]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{a.id}",
        "questionnaire": f"{LOINC_SYSTEM}/q/{codes['panel']}",
        "status": check_status("QuestionnaireResponse", "status", "completed"),
        "subject": patient_ref,
        "authored": _instant(a.created_at),
        "item": items,
    }
    if a.entered_by == patient.id:
        resource["author"] = patient_ref
        resource["source"] = patient_ref
    elif a.entered_by in team_ids:
        resource["author"] = b.ref("Practitioner", str(a.entered_by))
        resource["source"] = patient_ref
    return resource


def consent_resource(patient_ref: dict[str, str], row: consent.CareConsent, server: str) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "id": f"consent-{row.id}",
        "status": check_status("Consent", "status", "inactive" if row.withdrawn_at else "active"),
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "treatment",
                    "display": "Treatment",
                }
            ]
        },
        "category": [
            {
                "coding": [{"system": LOINC_SYSTEM, "code": "59284-0", "display": "Patient Consent"}],
                "text": "Consent to coordinated (collaborative) care",
            }
        ],
        "patient": patient_ref,
        "dateTime": _instant(row.given_at),
        "performer": [patient_ref],
        "sourceAttachment": {
            "contentType": "text/plain; charset=utf-8",
            "title": f"Consent to coordinated care, wording of {row.version} (given via {row.source})",
            "data": base64.b64encode(row.text.encode()).decode(),
        },
        "policy": [{"uri": f"{server}/consent/coordinated-care/{row.version}"}],
        "provision": {
            "type": "permit",
            "period": {"start": _instant(row.given_at), "end": _instant(row.withdrawn_at)},
        },
    }


def communication_resource(
    b: _Bundle, patient: User, patient_ref: dict[str, str], m: messages_port.MessageEntry, team_ids: set[int]
) -> dict[str, Any]:
    """A secure message: the patient's to the team, or a team member's to the patient (and the team).
    ``received`` is the first read by a recipient; one in crisis words is ``urgent``."""

    def who(user_id: int | None) -> dict[str, str] | None:
        if user_id == patient.id:
            return patient_ref
        if user_id in team_ids:
            return b.ref("Practitioner", str(user_id))
        return {"display": "Former care team member"} if user_id is not None else None

    from_patient = m.sender_id == patient.id
    recipients = [b.ref("Practitioner", str(i)) for i in sorted(team_ids) if i != m.sender_id]
    if not from_patient:
        recipients.insert(0, patient_ref)
    first_read = next((at for reader, at in m.read_by if reader != m.sender_id), None)
    return {
        "resourceType": "Communication",
        "id": f"msg-{m.id}",
        "status": check_status("Communication", "status", "completed"),
        "category": [{"text": "Secure message with the care team"}],
        "priority": check_status("Communication", "priority", "urgent" if m.crisis else "routine"),
        "subject": patient_ref,
        "sent": _instant(m.sent_at),
        "received": _instant(first_read),
        "sender": who(m.sender_id),
        "recipient": recipients or None,
        "payload": [{"contentString": m.body}],
    }
