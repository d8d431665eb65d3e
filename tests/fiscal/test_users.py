"""Users in the ledger: logins, the password policy and hashing, roles, blocking and deleting,
logging in, and the rule that an account always keeps an active owner."""
import threading

import pytest
from sqlalchemy import select, update

from fiscal.ledger import accounts, passwords, users
from fiscal.ledger.models import AuditEntry, User

PW = "correct horse battery"


def make(ledger, account_id, login, role="operator", password=PW, **kw):
    with ledger.session() as s:
        user, otp = users.create_user(s, account_id, login=login, name=login.title(), role=role,
                                      actor="test", password=password, **kw)
        return user.id, otp


def load(ledger, user_id):
    with ledger.session() as s:
        return s.get(User, user_id)


def run(ledger, fn, user_id, **kw):
    with ledger.session() as s:
        return fn(s, s.get(User, user_id), actor="test", **kw)


@pytest.fixture
def owner(ledger, account):
    return make(ledger, account["id"], "owner1", role="owner")[0]


def test_a_generated_password_is_returned_once_and_must_be_changed(ledger, account):
    uid, otp = make(ledger, account["id"], "Anna.Petrova", password=None)
    user = load(ledger, uid)
    assert user.login == "anna.petrova" and user.must_change_password
    assert len(otp) >= passwords.MIN_LENGTH and otp not in user.password_hash
    assert users.check_password(user, otp) and not users.check_password(user, otp + "x")


def test_a_given_password_need_not_be_changed(ledger, account):
    uid, otp = make(ledger, account["id"], "boris")
    assert otp is None and not load(ledger, uid).must_change_password
    assert users.check_password(load(ledger, uid), PW)


def test_hashes_are_scrypt_in_werkzeugs_format_both_ways(ledger, account):
    from werkzeug.security import check_password_hash, generate_password_hash
    user = load(ledger, make(ledger, account["id"], "vera")[0])
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    assert check_password_hash(user.password_hash, PW)
    assert passwords.verify_password(generate_password_hash(PW, method="scrypt"), PW)
    assert not passwords.verify_password(generate_password_hash(PW, method="scrypt"), PW + "!")
    assert not passwords.verify_password("plain-text", "plain-text")


@pytest.mark.parametrize("bad, why", [("short-pw1", "at least 10"), ("x" * 257, "at most 256"),
                                      ("Galina.K12", "may not be the login")])
def test_password_policy(ledger, account, bad, why):
    with pytest.raises(users.UserRefused) as err:
        make(ledger, account["id"], "galina.k12", password=bad)
    assert (err.value.code, err.value.field) == ("weak_password", "password")
    assert why in err.value.message
    uid, _ = make(ledger, account["id"], "galina.k12", password="0123456789")   # 10 is enough
    with pytest.raises(users.UserRefused), ledger.session() as s:
        users.set_password(s, s.get(User, uid), "123456789", actor="test")
    assert users.check_password(load(ledger, uid), "0123456789")


def test_logins_are_unique_across_the_hub_whatever_the_case(ledger, account):
    with ledger.session() as s:
        other = accounts.create_account(s, "KTV Zvezda").id
    uid, _ = make(ledger, account["id"], "Dmitry")
    with pytest.raises(users.UserRefused) as err:
        make(ledger, other, "DMITRY")
    assert (err.value.code, err.value.field) == ("login_taken", "login")
    run(ledger, users.delete_user, uid)
    with pytest.raises(users.UserRefused):              # a deleted user's login stays taken
        make(ledger, other, "dmitry")
    with ledger.session() as s:
        assert users.free_login(s, "dmitry") == "dmitry-2"


@pytest.mark.parametrize("field, kw", [("login", {"login": "a"}), ("login", {"login": "a b c"}),
                                       ("role", {"role": "root"}),
                                       ("email", {"email": "not-an-email"}),
                                       ("language", {"language": "de"}),
                                       ("name", {"name": " "})])
def test_fields_are_validated(ledger, account, field, kw):
    args = {"login": "elena", "name": "Elena", "role": "viewer", **kw}
    with pytest.raises(users.UserRefused) as err, ledger.session() as s:
        users.create_user(s, account["id"], actor="test", password=PW, **args)
    assert (err.value.code, err.value.field) == ("invalid", field)


def test_edit_changes_fields_and_audits_what_changed(ledger, account, owner):
    uid, _ = make(ledger, account["id"], "fedor")
    changes = run(ledger, users.edit_user, uid, name="Fedor I.", role="admin", language="ru",
                  email="fedor@example.com")
    assert changes == {"name": ["Fedor", "Fedor I."], "email": [None, "fedor@example.com"],
                       "role": ["operator", "admin"], "language": ["en", "ru"]}
    assert run(ledger, users.edit_user, uid, role="admin") == {}     # nothing new: no entry
    user = load(ledger, uid)
    assert (user.role, user.language, user.email) == ("admin", "ru", "fedor@example.com")
    with ledger.session() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.target_id == uid)
                            .order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor) for e in entries] == [("user.create", "test"),
                                                          ("user.edit", "test")]
        assert entries[1].details["changes"]["role"] == ["operator", "admin"]


LAST_OWNER_CHANGES = [
    ("blocked", lambda s, u: users.block_user(s, u, actor="test")),
    ("deleted", lambda s, u: users.delete_user(s, u, actor="test")),
    ("made admin", lambda s, u: users.edit_user(s, u, actor="test", role="admin")),
    ("made viewer", lambda s, u: users.edit_user(s, u, actor="test", role="viewer")),
]


@pytest.mark.parametrize("what, change", LAST_OWNER_CHANGES, ids=[w for w, _ in LAST_OWNER_CHANGES])
def test_the_last_active_owner_cannot_be_taken_away(ledger, account, owner, what, change):
    make(ledger, account["id"], "admin1", role="admin")
    with pytest.raises(users.LastOwner) as err, ledger.session() as s:
        change(s, s.get(User, owner))
    assert err.value.code == "last_owner" and what in err.value.message
    user = load(ledger, owner)
    assert (user.role, user.blocked_at, user.deleted_at) == ("owner", None, None)


@pytest.mark.parametrize("what, change", LAST_OWNER_CHANGES, ids=[w for w, _ in LAST_OWNER_CHANGES])
def test_a_blocked_or_deleted_second_owner_does_not_count(ledger, account, owner, what, change):
    blocked, _ = make(ledger, account["id"], "owner2", role="owner")
    deleted, _ = make(ledger, account["id"], "owner3", role="owner")
    run(ledger, users.block_user, blocked)
    run(ledger, users.delete_user, deleted)
    with pytest.raises(users.LastOwner), ledger.session() as s:
        change(s, s.get(User, owner))


@pytest.mark.parametrize("what, change", LAST_OWNER_CHANGES, ids=[w for w, _ in LAST_OWNER_CHANGES])
def test_an_owner_can_go_while_another_is_active(ledger, account, owner, what, change):
    other, _ = make(ledger, account["id"], "owner2", role="owner")
    with ledger.session() as s:
        change(s, s.get(User, owner))
    with pytest.raises(users.LastOwner), ledger.session() as s:     # now other is the last
        users.block_user(s, s.get(User, other), actor="test")


def test_owners_of_other_accounts_do_not_count(ledger, account, owner):
    with ledger.session() as s:
        other = accounts.create_account(s, "KTV Zvezda").id
    make(ledger, other, "their-owner", role="owner")
    with pytest.raises(users.LastOwner), ledger.session() as s:
        users.block_user(s, s.get(User, owner), actor="test")


def test_two_owners_blocked_at_once_leave_one_active(ledger, account, owner):
    other, _ = make(ledger, account["id"], "owner2", role="owner")
    outcomes, barrier = [], threading.Barrier(2)

    def block(uid):
        barrier.wait()
        try:
            run(ledger, users.block_user, uid)
            outcomes.append("blocked")
        except users.LastOwner:
            outcomes.append("refused")
    threads = [threading.Thread(target=block, args=(u,)) for u in (owner, other)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["blocked", "refused"]
    assert sum(load(ledger, u).blocked_at is None for u in (owner, other)) == 1


def test_login_refusals_do_not_tell_unknown_logins_from_wrong_passwords(ledger, account):
    uid, _ = make(ledger, account["id"], "galina")
    with ledger.session() as s:
        assert users.authenticate_user(s, "  GALINA ", PW).id == uid
    assert load(ledger, uid).last_login_at is not None
    answers = []
    for login, password in [("galina", PW + "x"), ("nobody", PW), ("galina", "")]:
        with pytest.raises(users.LoginRefused) as err, ledger.session() as s:
            users.authenticate_user(s, login, password)
        answers.append((err.value.reason, str(err.value)))
    assert answers == [("bad_credentials", "wrong login or password")] * 3


def test_a_blocked_user_cannot_log_in_and_a_deleted_one_is_unknown(ledger, account, owner):
    uid, _ = make(ledger, account["id"], "ivan")
    run(ledger, users.block_user, uid)
    with pytest.raises(users.LoginRefused) as err, ledger.session() as s:
        users.authenticate_user(s, "ivan", PW)
    assert err.value.reason == "blocked"
    with pytest.raises(users.LoginRefused) as err, ledger.session() as s:
        users.authenticate_user(s, "ivan", "wrong password")
    assert err.value.reason == "bad_credentials"     # "blocked" only for the right password
    run(ledger, users.unblock_user, uid)
    with ledger.session() as s:
        assert users.authenticate_user(s, "ivan", PW).id == uid
    run(ledger, users.delete_user, uid)
    with pytest.raises(users.LoginRefused) as err, ledger.session() as s:
        users.authenticate_user(s, "ivan", PW)
    assert err.value.reason == "bad_credentials"
    with pytest.raises(users.UserRefused) as gone, ledger.session() as s:
        users.unblock_user(s, s.get(User, uid), actor="test")
    assert gone.value.code == "gone"


def test_set_password_replaces_a_one_time_password(ledger, account):
    uid, otp = make(ledger, account["id"], "kira", password=None)
    with pytest.raises(users.UserRefused) as err:
        run(ledger, users.set_password, uid, password=otp)
    assert err.value.code == "weak_password"
    run(ledger, users.set_password, uid, password="a new passphrase")
    user = load(ledger, uid)
    assert not user.must_change_password and users.check_password(user, "a new passphrase")
    assert not users.check_password(user, otp)
    run(ledger, users.set_password, uid, password="handed over 1", must_change=True)
    assert load(ledger, uid).must_change_password


def test_get_and_list_see_only_the_accounts_live_users(ledger, account, owner):
    with ledger.session() as s:
        other = accounts.create_account(s, "KTV Zvezda").id
    theirs, _ = make(ledger, other, "theirs")
    gone, _ = make(ledger, account["id"], "gone")
    run(ledger, users.delete_user, gone)
    with ledger.session() as s:
        assert users.get_user(s, account["id"], theirs) is None
        assert users.get_user(s, account["id"], gone) is None
        assert users.get_user(s, account["id"], owner).login == "owner1"
        assert [u.login for u in users.list_users(s, account["id"])] == ["owner1"]


def test_a_session_cannot_start_for_a_user_blocked_behind_its_back(ledger, account, owner):
    uid, _ = make(ledger, account["id"], "lev")
    with ledger.session() as s:      # blocked by another process between check and login
        s.execute(update(User).where(User.id == uid).values(blocked_at=users.utcnow()))
    from fiscal.ledger.sessions import SessionEnded, start_session
    with pytest.raises(SessionEnded), ledger.session() as s:
        start_session(s, s.get(User, uid))
