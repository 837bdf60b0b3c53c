"""Document kinds: what a notice, a set of minutes or an agreement is, and where its template is."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from yishi.definition.models import Text

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document a case can produce.

    ``items`` names a list of the template context (``"meetings"``, ``"sessions"``): the
    document is then made once per item (each meeting's minutes, each session's record) and is
    addressed as ``name:key`` (``meeting_minutes:party_members_review``, ``mediation_record:2``).
    ``workflows`` limits the kind to those workflow ids (empty: any workflow whose forms have
    the ``fields`` it prints, so a deployment's renamed copy of a shipped procedure keeps its
    documents). ``issued`` (``posted`` or ``signed``): producing it as DOCX or PDF is recorded in the case's
    hash chain with the file's sha256.
    """

    name: str
    title: Text
    template: str
    template_dir: Path = TEMPLATES
    workflows: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    items: str | None = None
    issued: Literal["posted", "signed"] | None = None
    description: Text | None = field(default=None)


BUILTIN: tuple[DocumentKind, ...] = (
    DocumentKind("resolution_notice", Text(zh="决议公告", en="Notice of resolution"),
                 "resolution_notice.j2",
                 fields=("resolution", "notice_place", "attended", "votes_for"), issued="posted"),
    DocumentKind("results_notice", Text(zh="实施结果公告", en="Notice of the result of implementation"),
                 "results_notice.j2",
                 fields=("results", "results_notice_place", "completed_on"), issued="posted"),
    DocumentKind("meeting_minutes", Text(zh="会议记录", en="Minutes of the meeting"),
                 "meeting_minutes.j2",
                 fields=("meeting_date", "minutes"), items="meetings"),
    DocumentKind("bench_minutes", Text(zh="板凳会会议纪要", en="Bench meeting minutes"),
                 "bench_minutes.j2",
                 fields=("attendance", "minutes", "action_items", "meeting_time", "place")),
    DocumentKind("mediation_registration", Text(zh="人民调解受理登记表", en="Mediation registration form"),
                 "mediation_registration.j2",
                 fields=("party_a", "party_b", "started_by", "accepted_on")),
    DocumentKind("mediation_record", Text(zh="调解笔录", en="Record of a mediation session"),
                 "mediation_record.j2",
                 fields=("session_date", "present", "record"), items="sessions"),
    DocumentKind("mediation_agreement", Text(zh="人民调解协议书", en="People's mediation agreement"),
                 "mediation_agreement.j2",
                 fields=("agreement_parties", "agreement_facts", "disputed_matters", "obligations",
                         "performance_method", "performance_due"), issued="signed"),
    DocumentKind("return_visit", Text(zh="人民调解回访记录", en="Return visit record"),
                 "return_visit.j2",
                 fields=("visit_date", "visited", "dispute_settled")),
    DocumentKind("grid_disposal", Text(zh="网格事件处置单", en="Grid event disposal sheet"),
                 "grid_disposal.j2",
                 fields=("reporter", "place", "category", "urgency", "measures")),
)

__all__ = ["BUILTIN", "TEMPLATES", "DocumentKind"]
