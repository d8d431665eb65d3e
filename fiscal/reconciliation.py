"""What the register's memory says about a job left in ``sending`` (pure: no I/O).

The print service reads the register (the documents after the attempt's baseline, its
counters and drawer) and asks here whether those prove the job printed, prove it not printed,
or prove nothing; it then acts on the verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Mapping

from fiscal.drivers.base import FiscalDocument, RegisterStatus
from fiscal.model import JobKind

# A register's clock and ours may disagree; a document issued this long before the attempt's
# baseline still counts as the attempt's document.
CLOCK_TOLERANCE = timedelta(minutes=5)

PRINTED, NOT_PRINTED, UNPROVEN = "printed", "not_printed", "unproven"


@dataclass(frozen=True)
class Verdict:
    outcome: str                          # PRINTED, NOT_PRINTED or UNPROVEN
    result: FiscalDocument | dict | None = None     # the job's document when PRINTED
    seen: dict[str, Any] = field(default_factory=dict)   # what was seen when UNPROVEN


def matches(kind: str, body: Mapping, doc: FiscalDocument, since: datetime | None) -> bool:
    """Whether ``doc`` can be the document of a job of ``kind`` with this canonical body."""
    if doc.doc_type != kind:
        return False
    if since is not None and doc.issued_at < since:
        return False
    inner = body.get(kind) if kind in (JobKind.RECEIPT, JobKind.CORRECTION) else None
    if inner is not None:
        return doc.operation == inner["operation"] and doc.total == inner["total"]
    return True


def judge_fiscal(kind: str, body: Mapping, baseline: Mapping, last_fd: int,
                 seen: list[FiscalDocument]) -> Verdict:
    """``seen``: the documents after the baseline's FD number that no other job owns.
    Exactly one match and nothing unexplained is the job's; none at all means not printed."""
    since = (datetime.fromisoformat(baseline["clock"]) - CLOCK_TOLERANCE
             if baseline.get("clock") else None)
    ours = [d for d in seen if matches(kind, body, d, since)]
    expected_extra = {"open_shift"} if kind != JobKind.OPEN_SHIFT else set()
    strangers = [d for d in seen if d not in ours and d.doc_type not in expected_extra]
    if len(ours) == 1 and not strangers:
        return Verdict(PRINTED, ours[0])
    if not ours and not strangers:
        return Verdict(NOT_PRINTED)
    seen_txt = ", ".join(f"FD {d.fd_number} {d.doc_type} {d.operation or ''} "
                         f"{d.total if d.total is not None else ''}".strip() for d in seen)
    return Verdict(UNPROVEN, seen={"baseline_fd": baseline_fd(baseline, last_fd),
                                   "last_fd": last_fd, "seen": seen_txt,
                                   "matching": len(ours)})


def judge_cash(kind: str, body: Mapping, baseline: Mapping, status: RegisterStatus) -> Verdict:
    """Cash in/out are not fiscal-storage documents: the through document number and the
    drawer tell whether the operation happened."""
    moved = status.last_doc_number - int(baseline.get("doc", status.last_doc_number))
    delta = status.cash_in_drawer - Decimal(baseline.get("cash", status.cash_in_drawer))
    amount = body["amount"] if kind == JobKind.CASH_IN else -body["amount"]
    if moved == 0 and delta == 0:
        return Verdict(NOT_PRINTED)
    if moved == 1 and delta == amount:
        return Verdict(PRINTED, {"doc_type": kind, "doc_number": status.last_doc_number,
                                 "fd_number": None, "total": str(body["amount"])})
    return Verdict(UNPROVEN, seen={"documents_since_baseline": moved,
                                   "drawer_change": str(delta)})


def baseline_fd(baseline: Mapping, last_fd: int) -> int:
    """The last FD number before the attempt (the register's current one if unknown)."""
    return int(baseline.get("fd", last_fd))
