"""A hypothesis state machine over the job transitions against the real ledger: any sequence of
attempted changes leaves the row and its history consistent, and only allowed edges happen."""
import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fiscal.ledger import accounts, jobs, registers
from fiscal.ledger.db import Ledger
from fiscal.ledger.models import Job
from fiscal.model import JobState
from fiscal.states import TERMINAL, TRANSITIONS, IllegalTransition, StaleState

STATES = [s.value for s in JobState]


@pytest.fixture
def machine_ledger(database_url):
    return Ledger(database_url)


def test_job_state_machine(machine_ledger):
    class JobMachine(RuleBasedStateMachine):
        @initialize()
        def make_job(self):
            self.ledger = machine_ledger
            with self.ledger.session() as s:
                acc = accounts.create_account(s, "a")
                reg = registers.add_register(s, acc.id, name="r", driver="virtual",
                                             url="virtual://r")
                row, _ = jobs.create_job(s, account_id=acc.id, register_id=reg.id,
                                         job_json={"kind": "cut"}, kind="cut", actor="t")
                self.job_id = row.id
            self.model_state = "received"
            self.path = ["received"]

        @rule(expected=st.sampled_from(STATES), wanted=st.sampled_from(STATES))
        def try_transition(self, expected, wanted):
            allowed = JobState(wanted) in TRANSITIONS[JobState(expected)]
            try:
                with self.ledger.session() as s:
                    jobs.transition(s, self.job_id, expected, wanted, actor="h", cause="h")
            except IllegalTransition:
                assert not allowed
            except StaleState:
                assert allowed and expected != self.model_state
            else:
                assert allowed and expected == self.model_state
                self.model_state = wanted
                self.path.append(wanted)

        @invariant()
        def ledger_matches_model(self):
            with self.ledger.session() as s:
                row = s.get(Job, self.job_id)
                hist = jobs.history(s, self.job_id)
            assert row.state == self.model_state
            assert [e.to_state for e in hist] == self.path
            assert row.version == len(self.path)
            for e in hist[1:]:
                assert JobState(e.to_state) in TRANSITIONS[JobState(e.from_state)]
            if JobState(row.state) in TERMINAL:
                assert not TRANSITIONS[JobState(row.state)]

    JobMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=20,
                                            deadline=None)
    JobMachine.TestCase().runTest()
