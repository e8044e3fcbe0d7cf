"""``GET /api/v1/patients/{id}/fhir``: the patient's collaborative-care record as a FHIR R4 Bundle."""

from __future__ import annotations

import json

from flask import Response, current_app
from flask_login import current_user

from app import access
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.care_team import fhir


@endpoint(api_bp, "/patients/<int:patient_id>/fhir", access_rule=access.ANY_USER, errors=[404], tags=["care team"])
def fhir_export(patient_id: int) -> Response:
    """FHIR R4 Bundle (collection): Patient, CareTeam, CarePlan, Goals, MedicationStatements, PHQ-9/GAD-7, Consents."""
    bundle = fhir.export(current_user, patient_id, current_app.config["PUBLIC_BASE_URL"])
    return Response(
        json.dumps(bundle),
        mimetype="application/fhir+json",
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient_id}-fhir.json"',
            "Cache-Control": "no-store",
        },
    )
