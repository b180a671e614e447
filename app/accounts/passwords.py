"""Password hashing (argon2id with explicit parameters) and the password policy.

Parameters: the OWASP-recommended argon2id configuration -- 19 MiB of memory, 2 passes,
1 lane, 16-byte salt, 32-byte hash -- overridable per app with ``PASSWORD_HASH_MEMORY_KIB``,
``PASSWORD_HASH_TIME_COST`` and ``PASSWORD_HASH_PARALLELISM``. Each hash records its own
parameters, so a hash made with older parameters still verifies; ``needs_rehash`` tells the
caller (login) to store a fresh hash with the current ones.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

DEFAULT_MEMORY_KIB = 19 * 1024
DEFAULT_TIME_COST = 2
DEFAULT_PARALLELISM = 1
HASH_LEN, SALT_LEN = 32, 16

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; the cap keeps a request from buying much CPU

# The most common passwords that are long enough to pass the length rule (lower-cased).
COMMON_PASSWORDS = frozenset("""
1234567890 0123456789 0987654321 9876543210 1234512345 1234554321 1122334455 1111111111
0000000000 1212121212 123456789a a123456789 1234567890a 123456789q 1q2w3e4r5t 1q2w3e4r5t6y
1qaz2wsx3edc 12qwaszx12 qwertyuiop qwertyuiop1 qwerty1234 qwerty12345 qwerty123456 asdfghjkl1
asdfghjkl123 zxcvbnm123 qazwsxedc123 123qweasdzxc 1qazxsw23edc abcdefghij abc1234567 abcd123456
abcde12345 password12 password123 password1234 password12345 passw0rd123 p@ssw0rd123 passwordpassword
iloveyou12 iloveyou123 letmein123 welcome123 welcome1234 changeme123 administrator admin12345
admin123456 football123 baseball123 sunshine123 princess123 trustno1234 superman123 batman1234
dragon1234 monkey1234 master1234 starwars123 whatever123 computer123 michael123 jennifer123
qwertyqwerty aaaaaaaaaa zzzzzzzzzz 1234qwerty 1234qwer asdasdasd123 987654321a 5555555555
7777777777 9999999999 0000000001 1234567891 12345678910 myspace123 liverpool123 chocolate123
""".split())

_hashers: dict[tuple[int, int, int], PasswordHasher] = {}
_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _parameters() -> tuple[int, int, int]:
    config = current_app.config
    return (int(config.get("PASSWORD_HASH_TIME_COST", DEFAULT_TIME_COST)),
            int(config.get("PASSWORD_HASH_MEMORY_KIB", DEFAULT_MEMORY_KIB)),
            int(config.get("PASSWORD_HASH_PARALLELISM", DEFAULT_PARALLELISM)))


def _hasher() -> PasswordHasher:
    params = _parameters()
    if params not in _hashers:
        time_cost, memory_cost, parallelism = params
        _hashers[params] = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                                          parallelism=parallelism, hash_len=HASH_LEN,
                                          salt_len=SALT_LEN, type=Type.ID)
    return _hashers[params]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a mismatch or an unusable stored value."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verification(password: str) -> None:
    """Spend the time of one verification, for an unknown account (same timing as a real one)."""
    params = _parameters()
    if params not in _dummy_hashes:
        _dummy_hashes[params] = _hasher().hash("waveframe-dummy-password-for-timing")
    verify_password(_dummy_hashes[params], password)


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why ``password`` is not acceptable (empty list: it is)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.strip().lower()
    if email:
        email = email.strip().lower()
        if lowered in {email, email.split("@", 1)[0]}:
            problems.append("The password must not be your email address.")
    if lowered in COMMON_PASSWORDS or len(set(lowered)) == 1:
        problems.append("This password is too common; choose another one.")
    return problems
