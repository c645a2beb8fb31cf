"""Room codes, presenter keys and send ids: random from `secrets`, checked before any database look-up."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from core.audience.errors import InvalidInput

#: Letters and digits nobody confuses when reading them off a screen: no 0/O, no 1/I/L.
ROOM_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ROOM_CODE_LENGTH = 8
#: A fixed room's code (from an environment variable or st.secrets) may be longer, never shorter than 6.
ROOM_CODE_PATTERN = re.compile(f"[{ROOM_CODE_ALPHABET}]{{6,32}}")
MIN_PRESENTER_KEY_LENGTH = 16
SEND_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_room_code() -> str:
    """Eight characters from `ROOM_CODE_ALPHABET`: 31**8, about 850 billion codes."""
    return "".join(secrets.choice(ROOM_CODE_ALPHABET) for _ in range(ROOM_CODE_LENGTH))


def new_presenter_key() -> str:
    """A random key (32 URL-safe characters) that lets its holder manage a room."""
    return secrets.token_urlsafe(24)


def new_send_id() -> str:
    """A random id for one press of Send: sending it again stores nothing new."""
    return secrets.token_hex(16)


def normalise_room_code(code: object) -> str | None:
    """The code as stored (upper case, spaces and dashes dropped), or None if it cannot be a room code."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    cleaned = re.sub(r"[\s-]", "", code).upper()
    return cleaned if ROOM_CODE_PATTERN.fullmatch(cleaned) else None


def check_fixed_room(code: object, presenter_key: object) -> str:
    """The normalised code of a fixed room; InvalidInput naming what is wrong with the code or key."""
    normal = normalise_room_code(code)
    if normal is None:
        raise InvalidInput(
            f"The fixed room code {code!r} should be 6 to 32 characters from {ROOM_CODE_ALPHABET}: "
            "change it where it is set."
        )
    if not isinstance(presenter_key, str) or len(presenter_key.strip()) < MIN_PRESENTER_KEY_LENGTH:
        raise InvalidInput(
            f"The fixed room's presenter key should be at least {MIN_PRESENTER_KEY_LENGTH} characters: "
            "set a longer one where it is set."
        )
    return normal


def check_send_id(send_id: object) -> str:
    """`send_id` itself; InvalidInput unless it is 16 to 64 letters, digits, '-' or '_'."""
    if not (isinstance(send_id, str) and SEND_ID_PATTERN.fullmatch(send_id)):
        raise InvalidInput(
            f"send_id={send_id!r} should be 16 to 64 letters, digits, '-' or '_': "
            "make one with core.audience.codes.new_send_id()."
        )
    return send_id


def hash_presenter_key(code: str, presenter_key: str) -> str:
    """What is stored instead of the key: an HMAC-SHA256 of it, keyed by the room's code."""
    salt = f"kmeans-digit-lab room {code}".encode()
    return hmac.new(salt, presenter_key.strip().encode(), hashlib.sha256).hexdigest()


def presenter_key_matches(code: str, presenter_key: object, stored_hash: str) -> bool:
    """Whether `presenter_key` is the room's key, compared in constant time."""
    if not isinstance(presenter_key, str) or not presenter_key:
        return False
    return hmac.compare_digest(hash_presenter_key(code, presenter_key), stored_hash)
