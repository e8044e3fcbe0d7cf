"""API routes over the reference data: the ICD-10-CM code search clinicians code problems with."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app import access
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.reference import icd10
from app.reference.roles import Role

SEARCH_LIMIT = 20


class Icd10Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)] = Field(
        description='A code or its start ("F33", "f33.1") or words in any order ("recurrent depression"). '
        "Required, at least 2 characters: a shorter or empty q is 422.",
    )


class Icd10CodeOut(BaseModel):
    code: str = Field(description='A billable ICD-10-CM code in CMS\'s written form, e.g. "F33.1".')
    description: str


@endpoint(
    api_bp,
    "/icd10",
    access_rule=access.roles(Role.CLINICIAN),
    query=Icd10Query,
    response=list[Icd10CodeOut],
    errors=[403, 422],
    tags=["reference"],
    read_only=True,
)
def icd10_search(query: Icd10Query) -> list[Icd10CodeOut]:
    """Search billable ICD-10-CM codes by code prefix or words, best first, up to 20.

    Ranked: the exact code, then codes starting with q (shorter first), then codes whose description holds
    every word (each word matching the start of a description word; PTSD, ADHD, GAD, MDD and OCD are
    spelled out), then codes that match through CMS's inclusion terms; mental and behavioural disorders
    (chapter F) first within each. Categories such as F33 are headings, not billable codes: they are
    never returned, the codes under them are.
    """
    return [Icd10CodeOut(code=code, description=text) for code, text in icd10.search(query.q, SEARCH_LIMIT)]
