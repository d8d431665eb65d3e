"""``fiscalhub up`` on embedded defaults: starts everything, prints where to go, writes
demo.json, prints a receipt, stops every child on SIGTERM, and starts again on the same data
without losing a job."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub.embedded import free_port
from receipts import receipt_job

pytestmark = pytest.mark.slow


def start_up(data_dir, port):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "FISCALHUB_DATA_DIR")}
    return subprocess.Popen([sys.executable, "-m", "hub.cli", "up", "--data-dir", str(data_dir),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_healthy(url, key, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = requests.get(f"{url}/api/v1/health", timeout=2,
                             headers={"Authorization": f"Bearer {key}"})
            if r.status_code == 200 and r.json()["workers"]:
                return r.json()
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("fiscalhub up did not become healthy")


def wait_state(url, key, job_id, state, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = requests.get(f"{url}/api/v1/jobs/{job_id}", timeout=5,
                           headers={"Authorization": f"Bearer {key}"}).json()
        if job["state"] == state:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} is {job['state']}, not {state}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    return out


def processes_using(path) -> list[str]:
    """Command lines of live processes that name ``path`` (the emulator runs in its own
    session, so the process-group check alone would not see it)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in text:
            found.append(text)
    return found


def group_alive(proc) -> bool:
    try:
        os.killpg(proc.pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_up_runs_prints_stops_and_resumes(tmp_path):
    data_dir, port = tmp_path / "var", free_port()
    proc = start_up(data_dir, port)
    deadline = time.monotonic() + 30
    while not (data_dir / "demo.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
        time.sleep(0.1)
    demo = json.loads((data_dir / "demo.json").read_text())
    url, key = demo["url"], demo["api_key"]
    assert url == f"http://127.0.0.1:{port}"
    wait_healthy(url, key)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    first = requests.post(f"{url}/api/v1/jobs", headers=headers,
                          data=json.dumps(receipt_job(demo["register_id"])), timeout=10).json()
    printed = wait_state(url, key, first["id"], "printed")
    out = stop(proc)
    assert proc.returncode == 0
    assert url in out and key in out            # it said where to open it, and the key
    assert "shtrih" in out and demo["driver"] == "shtrih"
    time.sleep(0.5)
    assert not group_alive(proc), "a child of fiscalhub up outlived it"
    assert processes_using(data_dir) == []

    # again, on the same data: the same key, the job still there, numbering goes on
    proc = start_up(data_dir, port)
    try:
        wait_healthy(url, key)
        again = requests.get(f"{url}/api/v1/jobs/{first['id']}", headers=headers,
                             timeout=10).json()
        assert again["state"] == "printed"
        assert again["result"]["fd_number"] == printed["result"]["fd_number"]
        second = requests.post(f"{url}/api/v1/jobs", headers=headers,
                               data=json.dumps(receipt_job(demo["register_id"])),
                               timeout=10).json()
        done = wait_state(url, key, second["id"], "printed")
        assert done["result"]["fd_number"] == printed["result"]["fd_number"] + 1

        # the CLI finds the hub through demo.json
        job_file = tmp_path / "z.json"
        job_file.write_text(json.dumps({"kind": "close_shift",
                                        "register": demo["register_id"]}))
        cli = [sys.executable, "-m", "hub.cli"]
        sub = subprocess.run(cli + ["job", "submit", str(job_file), "--data-dir",
                                    str(data_dir)], capture_output=True, text=True, timeout=30)
        assert sub.returncode == 0, sub.stderr
        z = json.loads(sub.stdout)
        wait_state(url, key, z["id"], "printed")
        listed = subprocess.run(cli + ["jobs", "--data-dir", str(data_dir)],
                                capture_output=True, text=True, timeout=30).stdout
        assert z["id"] in listed and "close_shift" in listed and "printed" in listed
        bad = tmp_path / "bad.json"
        bad.write_text('{"kind": "receipt"')
        sub = subprocess.run(cli + ["job", "submit", str(bad), "--data-dir", str(data_dir)],
                             capture_output=True, text=True, timeout=30)
        assert sub.returncode == 1 and "malformed_json" in sub.stdout
    finally:
        stop(proc)
