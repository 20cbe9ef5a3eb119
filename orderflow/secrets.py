"""Secrets at rest (access and refresh tokens): encrypted with MultiFernet, so keys rotate.

The first key of ENCRYPTION_KEYS encrypts; every key decrypts, so a new key goes first and the
old one stays until every secret has been written again (tokens are, at each refresh).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBoxError(RuntimeError):
    pass


class SecretBox:
    def __init__(self, keys: list[str]):
        if not keys:
            raise SecretBoxError("ENCRYPTION_KEYS is empty: set at least one Fernet key")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except ValueError as exc:
            raise SecretBoxError(
                "ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64 bytes); make one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`"
            ) from exc

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError(
                "a stored secret cannot be decrypted with ENCRYPTION_KEYS"
            ) from exc
