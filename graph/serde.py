"""How the CLI's checkpoints are encoded: LangGraph's own serializer, then zlib.

SQLite stores each checkpoint whole, and a review's large values (the diff, once; the draft and
the findings, a few times) are text that compresses four to ten times. LangGraph's
``EncryptedSerializer`` already wraps a serializer and tags what it transformed
(``msgpack+zlib``), so this "cipher" compresses instead of encrypting: rows written without
it (an older database) are still read as they are, and LangGraph's msgpack allow-list keeps
applying to the serializer inside.

Only the CLI's checkpointer uses this; LangGraph's server brings its own persistence.
"""

from __future__ import annotations

import zlib

from langgraph.checkpoint.serde.base import CipherProtocol, SerializerProtocol
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

LEVEL = 6  # zlib's default: a 1 MB diff in about 20 ms, a third smaller than level 1


class Zlib(CipherProtocol):
    """A codec in the shape of a cipher: ``zlib`` in the type tag, compressed bytes."""

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        return "zlib", zlib.compress(plaintext, LEVEL)

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != "zlib":
            raise ValueError(f"checkpoint encoded as {ciphername!r}: this version reads only zlib")
        return zlib.decompress(ciphertext)


def compressed(inner: SerializerProtocol | None = None) -> SerializerProtocol:
    """``inner`` (LangGraph's default serializer if None) with zlib on its output."""
    return EncryptedSerializer(Zlib(), inner or JsonPlusSerializer())
