"""RFC 6238 codes for the load test's staff sign-ins (no locust import, so tests can check it against allauth)."""

import base64
import hashlib
import hmac
import struct
import time


def totp(secret: str, at: float | None = None) -> str:
    """Six digits, 30-second steps, HMAC-SHA1: what allauth's authenticator expects."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((time.time() if at is None else at) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"
