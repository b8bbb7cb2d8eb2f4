"""Channel secrets at rest: Fernet (AES + HMAC) under a key derived from the app's secret key.

Changing SMARTINBOX_SECRET_KEY makes stored channel secrets unreadable; they must be set
again (`smartinbox channels add` with the same name replaces nothing: remove and add).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from smartinbox.config import Settings
from smartinbox.kit.errors import DomainError


class SecretUnreadable(DomainError):
    status_code = 500
    code = "secret_unreadable"


def _fernet(settings: Settings) -> Fernet:
    digest = hashlib.sha256(
        b"smartinbox channel secrets\0" + settings.resolved_secret_key().encode()
    )
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt(settings: Settings, secret: str) -> str:
    return _fernet(settings).encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(settings: Settings, token: str) -> str:
    try:
        return _fernet(settings).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SecretUnreadable(
            "a channel secret cannot be decrypted: was SMARTINBOX_SECRET_KEY changed? "
            "Remove the channel and add it again"
        ) from exc
