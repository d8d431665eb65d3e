"""Cancel tasks racing a worker: a job cancelled after the worker read it, but before it was
sent, is not sent; the worker answers with the job's new state and no error."""
from fiscal.printing import PrintService
from fiscal.simulators.fiscal_memory import FiscalMemory
from hub.drivers import make_driver
from receipts import receipt_job


def test_a_job_cancelled_while_the_worker_reads_the_register_is_not_sent(client, auth, register,
                                                                         relay, ledger):
    job = client.post("/api/v1/jobs", json=receipt_job(register["id"]), headers=auth).json
    relay.dispatch()
    cancelled = []

    def driver_that_is_cancelled_under(reg):
        driver = make_driver(reg)
        read_status = driver.status

        def status():
            state = read_status()
            if not cancelled:       # the operator presses "cancel tasks" at this moment
                cancelled.append(client.post("/api/v1/jobs/cancel", headers=auth, json={
                    "register": reg.id, "reason": "closing the bar"}).json)
            return state
        driver.status = status
        return driver

    outcome = PrintService(ledger, driver_that_is_cancelled_under, worker="w").run(job["id"])
    assert cancelled == [{"cancelled": 1}]
    assert (outcome.state, outcome.detail) == ("cancelled", "settled before it was sent")
    assert FiscalMemory(register["memory"]).documents("receipt") == []
    got = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json
    assert got["state"] == "cancelled" and got["attempts"] == 0
