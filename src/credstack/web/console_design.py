"""The achievement designer's form: an :class:`AchievementDesign` (``docs/eu-elements.md``) as
form fields and back, with each validation problem shown beside its field.

The form edits the design's OB fields, EU elements and issuing policy (``suspendable``).  What
the form has no field for (a co-branding ``creator``, ``related`` editions, the achievements a
credential stacks towards, the skills a learning outcome links to) is kept from the version
being edited.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from credstack.models.ob import AchievementType, ResultType
from credstack.platform.achievement_design import (
    AchievementDesign,
    AssessmentType,
    ParticipationForm,
    StackabilityMode,
    Supervision,
)

__all__ = [
    "ACHIEVEMENT_TYPES",
    "ASSESSMENT_TYPES",
    "FIELD_LABELS",
    "PARTICIPATION_FORMS",
    "RESULT_TYPES",
    "STACKABILITY_MODES",
    "SUPERVISIONS",
    "DesignForm",
    "kept_parts",
    "skill_value",
]

#: form field -> longest accepted value (characters)
TEXT_FIELDS: dict[str, int] = {
    "name": 200,
    "description": 10_000,
    "criteria_narrative": 10_000,
    "criteria_url": 2048,
    "achievement_type": 100,
    "image_caption": 500,
    "tags": 2000,
    "language": 35,
    "field_of_study": 500,
    "specialization": 500,
    "human_code": 200,
    "version": 100,
    "learning_outcomes": 20_000,
    "workload_hours": 20,
    "ects": 20,
    "eqf_level": 2,
    "nqf_level": 100,
    "nqf_framework": 200,
    "nqf_url": 2048,
    "assessment_details": 10_000,
    "participation_form": 50,
    "qa_description": 10_000,
    "qa_url": 2048,
    "supervision": 50,
    "prerequisites": 10_000,
    "stackability": 20,
    "further_information": 10_000,
    "grade_name": 200,
    "grade_result_type": 100,
    "grade_allowed_values": 2000,
    "grade_value_min": 100,
    "grade_value_max": 100,
    "grade_required_value": 100,
    "skills_text": 20_000,
    "image_colour": 20,
}
MAX_SKILLS = 100
MAX_SKILL_CHARS = 8192
_SKILL_KEYS = ("url", "name", "framework", "code", "type", "description")

ACHIEVEMENT_TYPES = [t.value for t in AchievementType]
RESULT_TYPES = [t.value for t in ResultType]
ASSESSMENT_TYPES = [
    (AssessmentType.TESTING.value, "Testing"),
    (AssessmentType.APPLICATION_OF_SKILL.value, "Application of a skill"),
    (AssessmentType.PORTFOLIO.value, "Portfolio"),
    (AssessmentType.RECOGNITION_OF_PRIOR_LEARNING.value, "Recognition of prior learning"),
    (AssessmentType.OTHER.value, "Other (describe it below)"),
]
PARTICIPATION_FORMS = [
    (ParticipationForm.ONLINE.value, "Online"),
    (ParticipationForm.ONSITE.value, "On site"),
    (ParticipationForm.BLENDED.value, "Blended"),
    (ParticipationForm.VOLUNTEERING.value, "Volunteering"),
    (ParticipationForm.WORK_EXPERIENCE.value, "Work experience"),
]
SUPERVISIONS = [
    (Supervision.UNSUPERVISED_NO_ID.value, "Unsupervised, no identity check"),
    (Supervision.SUPERVISED_NO_ID.value, "Supervised, no identity check"),
    (Supervision.SUPERVISED_WITH_ID_ONLINE.value, "Supervised online, identity checked"),
    (Supervision.SUPERVISED_WITH_ID_ONSITE.value, "Supervised on site, identity checked"),
]
STACKABILITY_MODES = [
    (StackabilityMode.STANDALONE.value, "Stand-alone"),
    (StackabilityMode.STACKABLE.value, "Stackable"),
]

#: how the error summary names each field
FIELD_LABELS: dict[str, str] = {
    "name": "Name",
    "description": "Description",
    "criteria_narrative": "Criteria",
    "criteria_url": "Criteria URL",
    "achievement_type": "Type",
    "image_file": "Image",
    "image_caption": "Image caption",
    "tags": "Tags",
    "language": "Language",
    "field_of_study": "Field of study",
    "specialization": "Specialisation",
    "human_code": "Code",
    "version": "Version label",
    "skills": "Skills",
    "skills_text": "Text to suggest skills from",
    "learning_outcomes": "Learning outcomes",
    "workload_hours": "Workload in hours",
    "ects": "ECTS credits",
    "eqf_level": "EQF level",
    "nqf_level": "NQF level",
    "nqf_framework": "NQF framework",
    "nqf_url": "NQF level URI",
    "assessment_types": "Types of assessment",
    "assessment_details": "Assessment details",
    "participation_form": "Form of participation",
    "qa_description": "Quality assurance",
    "qa_url": "Quality assurance URL",
    "supervision": "Supervision and identity verification",
    "prerequisites": "Prerequisites",
    "stackability": "Stackability",
    "further_information": "Further information",
    "grade_name": "Grade scale name",
    "grade_result_type": "Grade result type",
    "grade_allowed_values": "Allowed grades",
    "grade_value_min": "Lowest grade",
    "grade_value_max": "Highest grade",
    "grade_required_value": "Pass grade",
}

#: where a problem inside a nested design object is shown
_NESTED = {
    "nqf_level": {"level": "nqf_level", "framework": "nqf_framework", "url": "nqf_url"},
    "quality_assurance": {"description": "qa_description", "url": "qa_url"},
    "grade_scale": {
        "name": "grade_name",
        "result_type": "grade_result_type",
        "allowed_values": "grade_allowed_values",
        "value_min": "grade_value_min",
        "value_max": "grade_value_max",
        "required_value": "grade_required_value",
    },
    "stackability": {"mode": "stackability"},
}
_TOP = {"image": "image_file", "nqf_level": "nqf_level", "quality_assurance": "qa_description"}
#: problems of the design as a whole, by how their message starts -> the field they concern
_WHOLE = (
    ("criteria", "criteria_narrative"),
    ("skills list", "skills"),
    ("learning outcome", "learning_outcomes"),
    ("tag ", "tags"),
    ("assessment_types", "assessment_types"),
    ("assessment type 'other'", "assessment_details"),
    ("image_caption", "image_caption"),
)


def _number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def skill_value(skill: Mapping[str, Any]) -> str:
    """A chosen or suggested skill as the value of its checkbox."""
    return json.dumps({k: skill[k] for k in _SKILL_KEYS if skill.get(k) is not None})


@dataclass
class DesignForm:
    """The designer form's state: field values, chosen skills, the image, and problems."""

    values: dict[str, str] = field(default_factory=dict)
    assessment_types: list[str] = field(default_factory=list)
    skills: list[dict[str, Any]] = field(default_factory=list)
    image: str | None = None
    suspendable: bool = False  # credentials can be suspended (issuing policy)
    kept: dict[str, Any] = field(default_factory=dict)  # design parts the form does not edit
    errors: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # problems not tied to one field

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.problems)

    # ------------------------------------------------------------------ from stored data

    @classmethod
    def from_design(cls, data: Mapping[str, Any]) -> DesignForm:
        """The form filled in from a stored design (``AchievementVersion.data``)."""
        nqf = data.get("nqf_level") or {}
        qa = data.get("quality_assurance") or {}
        grade = data.get("grade_scale") or {}
        stack = data.get("stackability") or {}
        outcomes = data.get("learning_outcomes") or []
        values = {
            "name": data.get("name", ""),
            "description": data.get("description", ""),
            "criteria_narrative": data.get("criteria_narrative", ""),
            "criteria_url": data.get("criteria_url", ""),
            "achievement_type": data.get("achievement_type", AchievementType.MICRO_CREDENTIAL),
            "image_caption": data.get("image_caption", ""),
            "tags": ", ".join(data.get("tags") or []),
            "language": data.get("language", ""),
            "field_of_study": data.get("field_of_study", ""),
            "specialization": data.get("specialization", ""),
            "human_code": data.get("human_code", ""),
            "version": data.get("version", ""),
            "learning_outcomes": "\n".join(o.get("text", "") for o in outcomes),
            "workload_hours": _number_text(data.get("workload_hours")),
            "ects": _number_text(data.get("ects")),
            "eqf_level": str(data["eqf_level"]) if data.get("eqf_level") else "",
            "nqf_level": nqf.get("level", ""),
            "nqf_framework": nqf.get("framework", ""),
            "nqf_url": nqf.get("url", ""),
            "assessment_details": data.get("assessment_details", ""),
            "participation_form": data.get("participation_form", ""),
            "qa_description": qa.get("description", ""),
            "qa_url": qa.get("url") or "",
            "supervision": data.get("supervision", ""),
            "prerequisites": data.get("prerequisites", ""),
            "stackability": stack.get("mode", ""),
            "further_information": data.get("further_information", ""),
            "grade_name": grade.get("name", ""),
            "grade_result_type": grade.get("result_type", ""),
            "grade_allowed_values": ", ".join(grade.get("allowed_values") or []),
            "grade_value_min": grade.get("value_min") or "",
            "grade_value_max": grade.get("value_max") or "",
            "grade_required_value": grade.get("required_value") or "",
        }
        return cls(
            values={k: str(v) for k, v in values.items()},
            assessment_types=list(data.get("assessment_types") or []),
            skills=[dict(s) for s in data.get("skills") or []],
            image=data.get("image"),
            suspendable=data.get("suspendable") is True,
            kept=kept_parts(data),
        )

    # ------------------------------------------------------------------ from a posted form

    @classmethod
    def from_form(cls, data: FormData, kept: Mapping[str, Any]) -> DesignForm:
        """The form as posted; over-long values and unreadable skills are problems of their
        field.  The image is settled by the caller (uploads are checked there)."""
        form = cls(kept=dict(kept))
        for name, limit in TEXT_FIELDS.items():
            raw = data.get(name)
            value = raw.strip() if isinstance(raw, str) else ""
            if len(value) > limit:
                form.errors[name] = f"at most {limit} characters"
                value = value[:limit]
            form.values[name] = value
        chosen = [v for v in data.getlist("assessment_types") if isinstance(v, str)]
        known = {value for value, _ in ASSESSMENT_TYPES}
        form.assessment_types = [v for v in dict.fromkeys(chosen) if v in known]
        form.skills = form._read_skills(data.getlist("skills"))
        form.suspendable = data.get("suspendable") == "yes"
        return form

    def _read_skills(self, raw: list[str | UploadFile]) -> list[dict[str, Any]]:
        skills: list[dict[str, Any]] = []
        if len(raw) > MAX_SKILLS:
            self.errors["skills"] = f"choose at most {MAX_SKILLS} skills"
            raw = raw[:MAX_SKILLS]
        for item in raw:
            try:
                if not isinstance(item, str) or len(item) > MAX_SKILL_CHARS:
                    raise ValueError
                value = json.loads(item)
                if not isinstance(value, dict):
                    raise ValueError
                skill = {k: value[k] for k in _SKILL_KEYS if isinstance(value.get(k), str)}
                if "url" not in skill or "name" not in skill:
                    raise ValueError
            except ValueError:
                self.errors["skills"] = "a chosen skill could not be read; choose it again"
                continue
            if all(s["url"] != skill["url"] for s in skills):
                skills.append(skill)
        return skills

    # ------------------------------------------------------------------ to a design

    def design(self) -> dict[str, Any] | None:
        """The design the form describes (``None``, with problems recorded, if it is not a
        valid :class:`AchievementDesign`)."""
        v = self.value
        raw: dict[str, Any] = {"name": v("name"), "description": v("description")}
        for name in (
            "criteria_narrative",
            "criteria_url",
            "achievement_type",
            "image_caption",
            "language",
            "field_of_study",
            "specialization",
            "human_code",
            "version",
            "assessment_details",
            "participation_form",
            "supervision",
            "prerequisites",
            "further_information",
        ):
            if v(name):
                raw[name] = v(name)
        if self.image:
            raw["image"] = self.image
        tags = _split(v("tags"))
        if tags:
            raw["tags"] = tags
        if self.skills:
            raw["skills"] = self.skills
        outcomes = self._outcomes()
        if outcomes:
            raw["learning_outcomes"] = outcomes
        for name in ("workload_hours", "ects"):
            if v(name):
                number = self._number(name)
                if number is not None:
                    raw[name] = number
        if v("eqf_level"):
            if v("eqf_level").isdigit():
                raw["eqf_level"] = int(v("eqf_level"))
            else:
                self.errors["eqf_level"] = "choose a level from 1 to 8"
        if v("nqf_level") or v("nqf_framework") or v("nqf_url"):
            raw["nqf_level"] = {
                "level": v("nqf_level"),
                "framework": v("nqf_framework"),
                "url": v("nqf_url"),
            }
        if self.assessment_types:
            raw["assessment_types"] = self.assessment_types
        if v("qa_description") or v("qa_url"):
            qa = {"description": v("qa_description")}
            if v("qa_url"):
                qa["url"] = v("qa_url")
            raw["quality_assurance"] = qa
        if v("stackability"):
            towards = self.kept.get("towards", []) if v("stackability") == "stackable" else []
            raw["stackability"] = {"mode": v("stackability"), "towards": towards}
        grade_fields = [n for n in TEXT_FIELDS if n.startswith("grade_")]
        if any(v(n) for n in grade_fields):
            grade: dict[str, Any] = {"name": v("grade_name"), "result_type": v("grade_result_type")}
            allowed = _split(v("grade_allowed_values"))
            if allowed:
                grade["allowed_values"] = allowed
            for name in ("value_min", "value_max", "required_value"):
                if v(f"grade_{name}"):
                    grade[name] = v(f"grade_{name}")
            raw["grade_scale"] = grade
        for name in ("creator", "related"):
            if self.kept.get(name):
                raw[name] = self.kept[name]
        if self.suspendable:
            raw["suspendable"] = True
        self._validate(raw)
        return None if self.has_errors else raw

    def _outcomes(self) -> list[dict[str, Any]]:
        links: dict[str, list[str]] = self.kept.get("outcome_skills", {})
        chosen = {s["url"] for s in self.skills}
        outcomes = []
        for line in self.value("learning_outcomes").splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                skills = [url for url in links.get(text, []) if url in chosen]
                outcomes.append({"text": text, "skills": skills})
        return outcomes

    def _number(self, name: str) -> float | None:
        try:
            number = float(self.value(name).replace(",", "."))
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or number <= 0:
            self.errors[name] = "enter a positive number, e.g. 25 or 7.5"
            return None
        return number

    def _validate(self, raw: dict[str, Any]) -> None:
        try:
            AchievementDesign.model_validate(raw)
        except ValidationError as exc:
            for problem in exc.errors(include_url=False, include_input=False):
                message = str(problem["msg"]).removeprefix("Value error, ")
                where = _field_of(problem["loc"], message)
                if where is None:
                    if message not in self.problems:
                        self.problems.append(message)
                else:
                    self.errors.setdefault(where, message)


def _field_of(loc: tuple[int | str, ...], message: str) -> str | None:
    """The form field a design problem at ``loc`` belongs to (``None``: the whole design)."""
    if not loc:
        for start, name in _WHOLE:
            if message.startswith(start):
                return name
        return None
    top = str(loc[0])
    if top in _NESTED and len(loc) > 1 and isinstance(loc[1], str):
        return _NESTED[top].get(loc[1], _TOP.get(top, top))
    if top in ("creator", "related"):
        return None
    return _TOP.get(top, top)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def kept_parts(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parts of a stored design the form does not edit (none for a new design)."""
    data = data or {}
    stack = data.get("stackability") or {}
    return {
        "creator": data.get("creator"),
        "related": data.get("related") or [],
        "towards": stack.get("towards") or [],
        "outcome_skills": {
            o.get("text", ""): list(o.get("skills") or [])
            for o in data.get("learning_outcomes") or []
        },
    }
