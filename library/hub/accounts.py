"""Moderator accounts: argon2 password hashes, and sign-in attempts limited per account and per address."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .store import HubError, HubStore, inserted_id

ROLES = ("moderator",)
MIN_PASSWORD = 12
# Sign-in attempts: after this many failures in the window, the account (or the address) waits.
MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    disabled: bool


def add_user(store: HubStore, email: str, password: str, role: str = "moderator") -> User:
    """Create an account; the password is stored only as an argon2id hash."""
    email = email.strip()
    if not EMAIL.match(email):
        raise HubError(f"{email!r} is not an email address")
    if role not in ROLES:
        raise HubError(f"role {role!r} should be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise HubError(f"a password needs at least {MIN_PASSWORD} characters")
    with store.connect() as db:
        if db.execute("SELECT 1 FROM users WHERE email = ?", (email,)).fetchone():
            raise HubError(f"there is already an account for {email}")
        cursor = db.execute(
            "INSERT INTO users (email, password_hash, role, created) VALUES (?, ?, ?, ?)",
            (email, _hasher.hash(password), role, time.time()),
        )
        return User(inserted_id(cursor), email, role, False)


def users(store: HubStore) -> list[User]:
    with store.connect() as db:
        rows = db.execute("SELECT id, email, role, disabled FROM users ORDER BY email").fetchall()
    return [User(r["id"], r["email"], r["role"], bool(r["disabled"])) for r in rows]


def get_user(store: HubStore, user_id: int) -> User | None:
    with store.connect() as db:
        row = db.execute("SELECT id, email, role, disabled FROM users WHERE id = ?", (user_id,)).fetchone()
    return User(row["id"], row["email"], row["role"], bool(row["disabled"])) if row else None


def set_disabled(store: HubStore, email: str, disabled: bool = True) -> User:
    with store.connect() as db:
        changed = db.execute("UPDATE users SET disabled = ? WHERE email = ?", (int(disabled), email.strip())).rowcount
    if not changed:
        raise HubError(f"there is no account for {email}")
    return next(u for u in users(store) if u.email.lower() == email.strip().lower())


def wait_seconds(store: HubStore, email: str, address: str, now: float | None = None) -> int:
    """How long this account or address must wait before trying again; 0 when it may try now."""
    now = now or time.time()
    since = now - WINDOW_SECONDS
    failures = max(
        store.attempts_since(_key("account", email), since), store.attempts_since(_key("address", address), since)
    )
    if failures < MAX_FAILURES:
        return 0
    wait: int = 30 * 2 ** (failures - MAX_FAILURES)  # failures >= MAX_FAILURES here: a whole number
    return min(WINDOW_SECONDS, wait)


def sign_in(store: HubStore, email: str, password: str, address: str) -> User | None:
    """The user whose email and password these are, or None. Failures are counted; callers check wait_seconds first.

    The hash is verified even when there is no such account, so the time taken does not say whether one exists.
    """
    with store.connect() as db:
        row = db.execute("SELECT * FROM users WHERE email = ?", (email.strip(),)).fetchone()
    stored = row["password_hash"] if row else _DUMMY
    try:
        _hasher.verify(stored, password)
        ok = row is not None and not row["disabled"]
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        store.record_attempt(_key("account", email))
        store.record_attempt(_key("address", address))
        return None
    store.clear_attempts(_key("account", email))
    if _hasher.check_needs_rehash(stored):
        with store.connect() as db:
            db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), row["id"]))
    return User(row["id"], row["email"], row["role"], False)


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value.strip().lower()}"


_DUMMY = _hasher.hash("not a password anyone has")
