"""The job state machine (DESIGN.md, "Job states").

    received ─▶ queued ─▶ sending ─▶ printed
                     │         ├──▶ failed           (known not printed: retried, or repeated)
                     │         └──▶ needs_attention  (could not be settled automatically)
                     └──▶ held   (register suspended or offline; goes on by itself)
    queued | held | failed ─▶ cancelled   (operator)

Two edges the picture implies but does not draw: a job that was ``received`` can be held or
cancelled before it was ever queued (its register was suspended or removed), and an operator
settles a ``needs_attention`` job as ``printed`` (found on the register), ``failed`` (proven not
printed, so it may be repeated) or ``cancelled``.
"""
from fiscal.model import JobState as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.RECEIVED: frozenset({S.QUEUED, S.HELD, S.CANCELLED}),
    S.QUEUED: frozenset({S.SENDING, S.HELD, S.CANCELLED}),
    S.SENDING: frozenset({S.PRINTED, S.FAILED, S.NEEDS_ATTENTION}),
    S.HELD: frozenset({S.QUEUED, S.CANCELLED}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
    S.NEEDS_ATTENTION: frozenset({S.PRINTED, S.FAILED, S.CANCELLED}),
    S.PRINTED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class IllegalTransition(Exception):
    """A state change the state machine does not allow (never a silent overwrite)."""

    def __init__(self, job_id: str, current: str, wanted: str):
        super().__init__(f"job {job_id}: cannot go from {current} to {wanted}")
        self.job_id, self.current, self.wanted = job_id, current, wanted


class StaleState(Exception):
    """Compare-and-set lost: the job was no longer in the state the caller expected."""

    def __init__(self, job_id: str, expected: str, actual: str | None):
        super().__init__(f"job {job_id}: expected state {expected}, found {actual}")
        self.job_id, self.expected, self.actual = job_id, expected, actual


def check_transition(job_id: str, current: str, wanted: str) -> None:
    if S(wanted) not in TRANSITIONS[S(current)]:
        raise IllegalTransition(job_id, current, wanted)
