"""Password hashing for v2 auth users: scrypt from the standard library, and a small cache.

etcd stores bcrypt hashes (cost 10) and checks the password on every authenticated request.
pyetcd stores ``$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`` (base64, PHC-like) made by
:func:`hashlib.scrypt`, which costs about as much as etcd's bcrypt (N=2**13, r=8: ~8 MiB
and tens of milliseconds). The hash never leaves the server (etcd blanks it in responses).

The event loop runs every check, so a client that repeats a correct password would pay
that cost on every request. :class:`PasswordHasher` remembers successful checks (keyed by
an HMAC, under a per-process random key, of the stored hash and the password, so nothing
reversible is kept) in a bounded cache; a wrong password is always checked in full.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

SCRYPT_LOG_N = 13
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
CACHE_SIZE = 1024  # remembered good (hash, password) pairs; cleared when full


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


class PasswordHasher:
    def __init__(self, log_n: int = SCRYPT_LOG_N) -> None:
        self.log_n = log_n
        self._key = os.urandom(32)
        self._good: set[bytes] = set()

    def hash(self, password: str) -> str:
        salt = os.urandom(SALT_BYTES)
        digest = self._scrypt(password, salt, self.log_n, SCRYPT_R, SCRYPT_P)
        return f"$scrypt$ln={self.log_n},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(digest)}"

    def check(self, stored: str, password: str) -> bool:
        token = hmac.new(self._key, stored.encode() + b"\0" + password.encode("utf-8",
                         "surrogateescape"), hashlib.sha256).digest()
        if token in self._good:
            return True
        if not self._verify(stored, password):
            return False
        if len(self._good) >= CACHE_SIZE:
            self._good.clear()
        self._good.add(token)
        return True

    def _verify(self, stored: str, password: str) -> bool:
        try:
            _, scheme, params, salt, digest = stored.split("$")
            fields = dict(item.split("=") for item in params.split(","))
            log_n, r, p = int(fields["ln"]), int(fields["r"]), int(fields["p"])
            if scheme != "scrypt" or not 1 <= log_n <= 20 or not 1 <= r <= 32 or not 1 <= p <= 16:
                return False
            expected = _unb64(digest)
            actual = self._scrypt(password, _unb64(salt), log_n, r, p)
        except (ValueError, KeyError):
            return False
        return hmac.compare_digest(expected, actual)

    @staticmethod
    def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(password.encode("utf-8", "surrogateescape"), salt=salt, n=1 << log_n,
                              r=r, p=p, maxmem=256 << 20, dklen=HASH_BYTES)
