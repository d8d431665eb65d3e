"""``ensure_demo`` gives the demo account an owner whose login and password are in demo.json,
also for a demo.json written before users existed."""
import json
import stat

from fiscal.ledger import accounts, audit, registers, users
from fiscal.ledger.models import User
from hub.embedded import ensure_demo

URL = "http://127.0.0.1:8000"


def test_a_new_demo_has_an_owner_who_can_log_in(ledger, data_dir):
    demo = ensure_demo(ledger, data_dir, URL, data_dir / "demo.tty")
    path = data_dir / "demo.json"
    assert json.loads(path.read_text()) == demo
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo["username"] == "demo"
    with ledger.session() as s:
        user = users.authenticate_user(s, demo["username"], demo["password"])
        assert (user.account_id, user.role, user.must_change_password) == (
            demo["account_id"], "owner", False)
        assert accounts.authenticate(s, demo["api_key"]).account_id == demo["account_id"]
        actions = [e.action for e in audit.list_audit(s, demo["account_id"], 10)[0]]
        assert sorted(actions) == ["account.create", "api_key.create", "register.create",
                                   "user.create"]

    again = ensure_demo(ledger, data_dir, "http://127.0.0.1:9000", data_dir / "demo.tty")
    assert again == {**demo, "url": "http://127.0.0.1:9000"}     # same owner, no new one
    with ledger.session() as s:
        assert len(users.list_users(s, demo["account_id"])) == 1


def test_a_demo_from_before_users_gets_its_owner(ledger, data_dir):
    with ledger.session() as s:                 # what ensure_demo wrote before users existed
        acc = accounts.create_account(s, "Demo venue")
        _, key = accounts.issue_api_key(s, acc.id, "demo")
        reg = registers.add_register(s, acc.id, name="Demo", driver="shtrih", url="/dev/x")
        old = {"url": URL, "api_key": key, "register_id": reg.id, "account_id": acc.id,
               "binding_id": reg.binding_id, "driver": "shtrih", "device": "/dev/x"}
    (data_dir / "demo.json").write_text(json.dumps(old))
    demo = ensure_demo(ledger, data_dir, URL, data_dir / "demo.tty")
    assert {k: demo[k] for k in old} == old
    assert json.loads((data_dir / "demo.json").read_text()) == demo
    with ledger.session() as s:
        user = users.authenticate_user(s, demo["username"], demo["password"])
        assert (user.login, user.account_id, user.role) == ("demo", acc.id, "owner")
        assert s.query(User).count() == 1
