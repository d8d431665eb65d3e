"""The print service: puts one ledger job on its register, exactly once.

The worker calls ``PrintService.run(job_id)`` for every delivery of a job, however many times
Redis delivers it. The procedure (DESIGN.md, "Exactly once"):

1. A job that is already settled (printed, cancelled, needs attention, held) is left alone: a
   duplicate delivery prints nothing.
2. Before the first byte of a document goes out, ``queued → sending`` is committed together with
   the register's baseline: its last fiscal document (FD) number, its through document number
   and the cash in its drawer.
3. A job found in ``sending`` (its worker died, timed out or got an ambiguous answer) is
   reconciled with the register: an open receipt is cancelled and the job printed again; FD
   numbers that moved past the baseline are read back and matched (type, operation, total,
   time) to the job, which is then ``printed`` with that document; whatever cannot be proven
   goes to ``needs_attention`` with what was seen.

There is no blind retry: a job is printed again only when the register proved it was not.
The database transaction is never held open while the register is being talked to.
"""
from __future__ import annotations

import logging
import socket
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from sqlalchemy import select

from fiscal.drivers.base import (FiscalDocument, NeedsOperator, NotPrinted,
                                 RegisterDriver, RegisterError, RegisterOffline, RegisterStatus)
from fiscal import reconciliation as rec
from fiscal.job_dispatch import execute
from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger import registers as ledger_registers
from fiscal.ledger.db import Ledger
from fiscal.ledger.models import Job, Register, utcnow
from fiscal.model import CASH_KINDS, FISCAL_DOCUMENT_KINDS, SHIFT_KINDS, JobKind, JobState
from fiscal.schemas import load_job
from fiscal.states import StaleState

log = logging.getLogger(__name__)

S = JobState
# Automatic retries of a job the register certainly did not print (a transient refusal).
RETRY_DELAYS = (5, 15, 60, 300, 900)
# Attempts after which a job that keeps being interrupted is left failed for an operator.
MAX_ATTEMPTS = 20

DriverFactory = Callable[[Register], RegisterDriver]


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Outcome:
    state: str
    detail: str = ""


class _NotPrintedAfterAll(Exception):
    """Reconciliation proved the document was not registered: print it again."""


class PrintService:
    def __init__(self, ledger: Ledger, driver_factory: DriverFactory,
                 worker: str | None = None, max_retries: int = len(RETRY_DELAYS)):
        self.ledger = ledger
        self.driver_factory = driver_factory
        self.worker = worker or default_worker_name()
        self.actor = f"worker:{self.worker}"
        self.max_retries = max_retries

    # entry point ---------------------------------------------------------------------------
    def run(self, job_id: str) -> Outcome:
        with self.ledger.session(readonly=True) as s:
            job = s.get(Job, job_id)
            reg = s.get(Register, job.register_id) if job is not None else None
        if job is None:
            return Outcome("unknown", "no such job in the ledger")
        if job.state == S.RECEIVED or (job.state == S.QUEUED and (
                reg.removed_at is not None or reg.suspended)):
            settled = self._before_printing(job_id)
            if settled is not None:
                return settled
            with self.ledger.session(readonly=True) as s:
                job, reg = s.get(Job, job_id), s.get(Register, job.register_id)
        if job.state not in (S.QUEUED, S.SENDING):
            return Outcome(job.state, "already settled; nothing to do")
        try:
            driver = self.driver_factory(reg)
            driver.open()
        except RegisterError as exc:
            return self._unreachable(job, reg, exc)
        try:
            return self._run_on(job, reg, driver)
        finally:
            driver.close()

    def _before_printing(self, job_id: str) -> Outcome | None:
        """The ledger-only steps: take up a job the relay has not marked queued yet; hold or
        cancel it when its register is suspended or removed. None: go on and print."""
        with self.ledger.session() as s:
            job = s.get(Job, job_id)
            reg = s.get(Register, job.register_id)
            if job.state == S.RECEIVED:     # delivered before the relay committed `queued`
                try:
                    ledger_jobs.transition(s, job.id, S.RECEIVED, S.QUEUED, actor=self.actor,
                                           cause="picked up by the register's worker")
                except StaleState:
                    s.expire_all()          # the relay committed it meanwhile
                job = s.get(Job, job_id)
            if job.state not in (S.QUEUED, S.SENDING):
                return Outcome(job.state, "already settled; nothing to do")
            if job.state == S.QUEUED and reg.removed_at is not None:
                ledger_jobs.transition(s, job.id, S.QUEUED, S.CANCELLED, actor=self.actor,
                                       cause="the register was removed")
                return Outcome(S.CANCELLED)
            if job.state == S.QUEUED and reg.suspended:
                ledger_jobs.transition(s, job.id, S.QUEUED, S.HELD, actor=self.actor,
                                       cause="the register is suspended")
                return Outcome(S.HELD)
        return None

    def _run_on(self, job: Job, reg: Register, driver: RegisterDriver) -> Outcome:
        try:
            ident = driver.identity()
        except RegisterError as exc:
            return self._unreachable(job, reg, exc)
        conflict = None
        if reg.serial_number != ident.serial_number:     # first contact, or another device
            with self.ledger.session() as s:
                try:
                    ledger_registers.bind_or_check(s, reg.id, ident.serial_number, ident.model)
                except ledger_registers.BindingConflict as exc:
                    conflict = str(exc)
        if conflict:
            # Nothing was sent to the stranger: the job waits (held, tried again now and then
            # by the sweeper) until the device the binding ID belongs to answers again.
            if job.state == S.QUEUED:
                with self.ledger.session() as s:
                    ledger_jobs.transition(
                        s, job.id, S.QUEUED, S.HELD, actor=self.actor, cause=conflict,
                        error={"code": "binding_conflict", "message": conflict,
                               "action": "Connect the register this binding ID belongs to, "
                                         "or add the new device as a new register",
                               "retryable": True})
            return Outcome(S.HELD if job.state == S.QUEUED else job.state, conflict)
        if job.state == S.SENDING:
            return self._reconcile_or_wait(job, reg, driver,
                                           "the worker stopped in the middle of the job")
        return self._print(job, reg, driver)

    # printing ------------------------------------------------------------------------------
    def _print(self, job: Job, reg: Register, driver: RegisterDriver) -> Outcome:
        body = load_job(job.payload)
        kind = JobKind(job.kind)
        cashier = body.get("cashier")
        try:
            status = driver.status()
        except RegisterError as exc:
            return self._unreachable(job, reg, exc)
        if status.receipt_open:
            # Nothing open on the register is registered yet, and the ledger committed no
            # `sending` for it: it is a leftover (ours from a refused attempt, or the POS's).
            driver.cancel_receipt()
            status = driver.status()
        open_shift_first = (kind in SHIFT_KINDS and not status.shift_open)
        if open_shift_first and not reg.settings.get("auto_open_shift", True):
            return self._refused_before_sending(job, NeedsOperator(
                "shift_closed", "The shift is closed and auto-open shift is off",
                "Open the shift on the register (or turn on auto-open shift), then repeat"))
        baseline = {"fd": status.last_fd_number, "doc": status.last_doc_number,
                    "cash": str(status.cash_in_drawer), "shift_open": status.shift_open,
                    "clock": (status.clock or utcnow()).isoformat(),
                    "opens_shift": open_shift_first}
        try:
            with self.ledger.session() as s:
                ledger_jobs.start_attempt(s, s.get(Job, job.id), worker=self.worker,
                                          baseline=baseline)
        except StaleState as exc:       # cancelled (or held) since we read it: send nothing
            return Outcome(exc.actual or "unknown", "settled before it was sent")
        try:
            if open_shift_first:
                driver.open_shift(cashier)
            doc = execute(driver, kind, body, bool((reg.settings or {}).get("paperless")))
        except (NeedsOperator, NotPrinted) as exc:
            if isinstance(exc, RegisterOffline):
                return self._reconcile_or_wait(job, reg, driver, exc)
            self._cancel_leftover(driver)
            return self._not_printed(job, exc, driver)
        except Exception as exc:       # Ambiguous, a timeout, anything unexpected
            log.warning("job %s: %s after sending; reconciling", job.id, exc)
            return self._reconcile_or_wait(job, reg, driver, exc)
        return self._printed(job, doc, reg, driver, "printed")

    # reconciliation --------------------------------------------------------------------------
    def _reconcile_or_wait(self, job, reg, driver, exc) -> Outcome:
        try:
            return self._reconcile(job, reg, driver, cause=str(exc))
        except _NotPrintedAfterAll:
            with self.ledger.session(readonly=True) as s:
                job = s.get(Job, job.id)
            return self._maybe_retry(job, driver)

    def _reconcile(self, job: Job, reg: Register, driver: RegisterDriver,
                   cause: str = "the worker stopped in the middle of the job") -> Outcome:
        """Settle a job left in ``sending``. Returns the outcome, or raises
        ``_NotPrintedAfterAll`` after moving the job to ``failed`` when the register proves
        the document was not registered (the caller prints it again)."""
        with self.ledger.session(readonly=True) as s:
            attempt = ledger_jobs.current_attempt(s, job.id)
        baseline = attempt.baseline if attempt else {}
        try:
            status = driver.status()
            if status.receipt_open:
                driver.cancel_receipt()
                status = driver.status()
            if status.paper == "continue":
                driver.continue_printing()
        except RegisterError as exc:
            # Cannot see the register now: stay in `sending`; the sweeper brings the job back.
            log.warning("job %s: cannot reconcile yet: %s", job.id, exc)
            return Outcome(S.SENDING, f"register not reachable for reconciliation: {exc}")
        self._record_state(reg.id, status)
        kind = JobKind(job.kind)
        body = load_job(job.payload)
        if kind in FISCAL_DOCUMENT_KINDS:
            return self._reconcile_fiscal(job, reg, driver, status, baseline, body, cause)
        if kind in CASH_KINDS:
            return self._reconcile_cash(job, reg, status, baseline, body, cause)
        if kind == JobKind.CANCEL_RECEIPT or kind == JobKind.STATUS:
            return self._printed(job, {"status": status.as_dict()}, reg, None,
                                 "settled after reconciliation: nothing left open")
        # X report, reprint, cut: no legal document; doing it again is harmless.
        self._fail(job, "not_confirmed", f"{cause}; a service command is safe to repeat",
                   retryable=True, outcome="unknown")
        raise _NotPrintedAfterAll()

    def _reconcile_fiscal(self, job, reg, driver, status: RegisterStatus, baseline, body,
                          cause) -> Outcome:
        start = rec.baseline_fd(baseline, status.last_fd_number)
        with self.ledger.session(readonly=True) as s:
            # Documents after the baseline that other jobs of this register already own are
            # explained; only the rest can be this job's.
            owned = set(s.scalars(select(Job.fd_number).where(
                Job.register_id == job.register_id, Job.id != job.id,
                Job.fd_number > start, Job.fd_number <= status.last_fd_number)))
        seen = [driver.document(n) for n in range(start + 1, status.last_fd_number + 1)
                if n not in owned]
        verdict = rec.judge_fiscal(job.kind, body, baseline, status.last_fd_number,
                                   [d for d in seen if d is not None])
        return self._settle(job, reg, verdict, cause,
                            f"the register registered no document after FD {start}",
                            "Compare the register's documents after FD %d with this job, then "
                            "mark it printed or repeat it" % start)

    def _reconcile_cash(self, job, reg, status: RegisterStatus, baseline, body,
                        cause) -> Outcome:
        verdict = rec.judge_cash(job.kind, body, baseline, status)
        return self._settle(job, reg, verdict, cause, "the register shows no cash operation",
                            "Count the cash in the drawer and check the register's last "
                            "documents, then mark the job printed or repeat it")

    def _settle(self, job, reg, verdict: rec.Verdict, cause, not_printed: str,
                action: str) -> Outcome:
        """Act on a reconciliation verdict (``_NotPrintedAfterAll``: print it again)."""
        if verdict.outcome == rec.PRINTED:
            return self._printed(job, verdict.result, reg, None,
                                 f"found on the register after: {cause}")
        if verdict.outcome == rec.NOT_PRINTED:
            self._fail(job, "not_printed", f"{cause}; {not_printed}", retryable=True,
                       outcome="not_printed")
            raise _NotPrintedAfterAll()
        return self._needs_attention(job, cause, verdict.seen, action)

    # settling ------------------------------------------------------------------------------
    def _printed(self, job, doc, reg, driver, cause) -> Outcome:
        result = doc.as_result() if isinstance(doc, FiscalDocument) else dict(doc or {})
        status = None
        if driver is not None:
            try:
                status = driver.status()
            except RegisterError:
                pass
        with self.ledger.session() as s:       # one write per printed job: result and state
            ledger_jobs.transition(s, job.id, S.SENDING, S.PRINTED, actor=self.actor,
                                   cause=cause, result=result, error=None,
                                   fd_number=result.get("fd_number"))
            ledger_jobs.finish_attempt(s, job.id, "printed", {"result": result})
            ledger_jobs.release_held(s, job.register_id, actor=self.actor,
                                     cause="the register is printing again")
            if status is not None:
                ledger_registers.record_state(s, job.register_id, status.as_dict())
        return Outcome(S.PRINTED)

    def _fail(self, job, code, message, *, retryable, outcome, action=None, error=None):
        err = error or {"code": code, "message": message, "action": action}
        err = {**err, "retryable": retryable}
        with self.ledger.session() as s:
            ledger_jobs.transition(s, job.id, S.SENDING, S.FAILED, actor=self.actor,
                                   cause=message, error=err)
            ledger_jobs.finish_attempt(s, job.id, outcome, {"error": err})

    def _not_printed(self, job, exc: NotPrinted, driver: RegisterDriver | None) -> Outcome:
        if driver is not None:
            try:
                self._record_state(job.register_id, driver.status())
            except RegisterError:
                pass
        retryable = not isinstance(exc, NeedsOperator)
        self._fail(job, exc.code, exc.message, retryable=retryable, outcome="refused",
                   error=exc.as_dict())
        with self.ledger.session() as s:
            job = s.get(Job, job.id)
        return self._maybe_retry(job, driver) if retryable else Outcome(S.FAILED, exc.message)

    def _refused_before_sending(self, job, exc: NeedsOperator) -> Outcome:
        with self.ledger.session() as s:
            ledger_jobs.start_attempt(s, s.get(Job, job.id), worker=self.worker, baseline={})
        return self._not_printed(job, exc, None)

    def _maybe_retry(self, job: Job, driver: RegisterDriver | None) -> Outcome:
        """A job proven not printed goes back to the queue; after a refusal, with a delay."""
        refused = (job.error or {}).get("kind") not in (None, "error")
        # Refusals use up the retry budget. A crash the register proved harmless (nothing was
        # registered) is not the job's fault, so it does not — but a job that keeps dying
        # with its worker stops after MAX_ATTEMPTS rather than blocking the register forever.
        if refused and job.retries >= self.max_retries:
            return Outcome(S.FAILED, "no automatic retries left")
        if job.attempts >= MAX_ATTEMPTS:
            return Outcome(S.FAILED, f"{job.attempts} attempts; no automatic retries left")
        delay = RETRY_DELAYS[min(job.retries, len(RETRY_DELAYS) - 1)] if refused else 0
        with self.ledger.session() as s:
            ledger_jobs.transition(
                s, job.id, S.FAILED, S.QUEUED, actor=self.actor,
                cause="proven not printed; retrying" + (f" in {delay} s" if delay else ""),
                retries=job.retries + (1 if refused else 0),
                not_before=utcnow() + timedelta(seconds=delay) if delay else None)
            if delay:
                return Outcome(S.QUEUED, f"retry due in {delay} s")
        with self.ledger.session() as s:
            job = s.get(Job, job.id)
            reg = s.get(Register, job.register_id)
        if driver is not None:
            return self._print(job, reg, driver)
        driver = self.driver_factory(reg)
        try:
            driver.open()
            return self._print(job, reg, driver)
        except RegisterError as exc:
            return self._unreachable(job, reg, exc)
        finally:
            driver.close()

    def _needs_attention(self, job, cause, seen: dict, action: str) -> Outcome:
        err = {"code": "unconfirmed", "message": f"could not prove whether the register "
               f"registered this document ({cause})", "action": action, "seen": seen,
               "retryable": False}
        with self.ledger.session() as s:
            ledger_jobs.transition(s, job.id, S.SENDING, S.NEEDS_ATTENTION, actor=self.actor,
                                   cause=err["message"], error=err, details=seen)
            ledger_jobs.finish_attempt(s, job.id, "needs_attention", {"seen": seen})
        return Outcome(S.NEEDS_ATTENTION, err["message"])

    def _unreachable(self, job: Job, reg: Register, exc: RegisterError) -> Outcome:
        """The register did not answer. A queued job waits (held) until it does; a job in
        ``sending`` stays there until the register can be asked what happened."""
        with self.ledger.session() as s:
            ledger_registers.record_state(s, reg.id, {"error": exc.message}, online=False)
            current = s.get(Job, job.id).state
            if current == S.QUEUED:
                ledger_jobs.transition(s, job.id, S.QUEUED, S.HELD, actor=self.actor,
                                       cause=f"register offline: {exc.message}",
                                       error={**exc.as_dict(), "retryable": True})
                return Outcome(S.HELD, exc.message)
        return Outcome(current, exc.message)

    def _cancel_leftover(self, driver: RegisterDriver) -> None:
        try:
            if driver.status().receipt_open:
                driver.cancel_receipt()
        except RegisterError as exc:
            log.warning("could not cancel the open receipt: %s", exc)

    def _record_state(self, register_id: str, status: RegisterStatus) -> None:
        with self.ledger.session() as s:
            ledger_registers.record_state(s, register_id, status.as_dict())
