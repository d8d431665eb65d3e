"""The machinery every Shtrih-M command codec is built from: field codecs and message bases.

A command's request or answer is a frozen dataclass whose fields, in definition order, are its
wire layout: each wire field carries its codec in ``metadata["codec"]`` (see ``wire`` and
``password``), so ``encode`` and ``decode`` are one generic pair and cannot drift apart.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from fiscal.protocols.shtrih import ADMIN_PASSWORD, CASHIER_PASSWORD, MAX_PAYLOAD, FrameError, \
    join_command, split_command
from fiscal.protocols.shtrih_errors import DeviceError
from fiscal.protocols.shtrih_values import decode_date, decode_fn_date, decode_fn_datetime, \
    decode_time, encode_date, encode_fn_date, encode_fn_datetime, encode_time, from_kopecks, \
    from_units, int_le, le_int, read_cp1251, text_cp1251, to_units


# --- field codecs ---------------------------------------------------------------------------
class Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = bytes(data), 0

    @property
    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, size: int) -> bytes:
        if size > self.left:
            raise ValueError(f"needs {size} more byte(s), {self.left} left")
        self.pos += size
        return self.data[self.pos - size:self.pos]

    def rest(self) -> bytes:
        return self.take(self.left)


class Codec:
    """Packs one field's value (``obj`` is the whole message) and unpacks it (``got`` holds
    the fields decoded so far; a codec may add derived ones, e.g. a text field's width)."""

    def pack(self, value: Any, obj: Any) -> bytes:
        raise NotImplementedError

    def unpack(self, reader: Reader, got: dict[str, Any]) -> Any:
        raise NotImplementedError


class UInt(Codec):
    def __init__(self, size: int, allowed: range | None = None):
        self.size, self.allowed = size, allowed

    def pack(self, value, obj):
        return int_le(value, self.size)

    def unpack(self, reader, got):
        value = le_int(reader.take(self.size))
        if self.allowed is not None and value not in self.allowed:
            raise ValueError(f"{value} is not one of {self.allowed}")
        return value


class Units(Codec):
    """A Decimal carried as an integer of 10**-places (money: places=2)."""

    def __init__(self, size: int, places: int, signed: bool = False):
        self.size, self.places, self.signed = size, places, signed

    def pack(self, value, obj):
        units = to_units(value, self.places)
        if units < 0 and not self.signed:
            raise ValueError(f"{value} is negative")
        return int_le(units, self.size, self.signed)

    def unpack(self, reader, got):
        return from_units(le_int(reader.take(self.size), self.signed), self.places)


class MaybeMoney(Units):
    """Money, or None sent as FF×size ("not given" / "the register computes it")."""

    def __init__(self, size: int = 5):
        super().__init__(size, 2)

    def pack(self, value, obj):
        if value is None:
            return b"\xff" * self.size
        data = super().pack(value, obj)
        if data == b"\xff" * self.size:      # the largest sum would read back as "not given"
            raise ValueError(f"{value} is the 'not given' marker FF×{self.size}")
        return data

    def unpack(self, reader, got):
        data = reader.take(self.size)
        return None if data == b"\xff" * self.size else from_kopecks(le_int(data))


class Flag(Codec):
    """A bool as one byte 0/1; ``strict`` refuses other values (answers read any non-zero
    as True, requests from a host must say 0 or 1)."""

    def __init__(self, strict: bool = False):
        self.strict = strict

    def pack(self, value, obj):
        return b"\x01" if value else b"\x00"

    def unpack(self, reader, got):
        byte = reader.take(1)[0]
        if self.strict and byte > 1:
            raise ValueError(f"{byte} is neither 0 nor 1")
        return byte != 0


class Fixed(Codec):
    """Fixed-size bytes through an encode/decode pair (dates, times)."""

    def __init__(self, size: int, encode, decode):
        self.size, self.encode, self.decode = size, encode, decode

    def pack(self, value, obj):
        return self.encode(value)

    def unpack(self, reader, got):
        return self.decode(reader.take(self.size))


class Ascii(Codec):
    """A fixed-size ASCII string, NUL-padded (latin-1, so any byte survives a round trip)."""

    def __init__(self, size: int):
        self.size = size

    def pack(self, value, obj):
        data = value.encode("latin-1")
        if len(data) > self.size:
            raise ValueError(f"{value!r} is longer than {self.size}")
        return data.ljust(self.size, b"\0")

    def unpack(self, reader, got):
        return reader.take(self.size).rstrip(b"\0").decode("latin-1")


class Raw(Codec):
    def __init__(self, size: int):
        self.size = size

    def pack(self, value, obj):
        if len(value) != self.size:
            raise ValueError(f"needs exactly {self.size} bytes")
        return bytes(value)

    def unpack(self, reader, got):
        return reader.take(self.size)


class Rest(Codec):
    """Whatever bytes are left (at most ``limit``)."""

    def __init__(self, limit: int = 255):
        self.limit = limit

    def pack(self, value, obj):
        if len(value) > self.limit:
            raise ValueError(f"{len(value)} bytes, at most {self.limit} allowed")
        return bytes(value)

    def unpack(self, reader, got):
        return self.pack(reader.rest(), None)


class Text(Codec):
    """cp1251 text to the end of the payload; ``limit`` bytes at most (ValueError beyond).
    With ``padded`` the message's ``width`` field is the NUL-padded length on the wire."""

    def __init__(self, limit: int = 255, padded: bool = False):
        self.limit, self.padded = limit, padded

    def pack(self, value, obj):
        if self.padded:
            return text_cp1251(value, obj.width)
        data = text_cp1251(value)
        if len(data) > self.limit:
            raise ValueError(f"text of {len(data)} bytes, at most {self.limit} allowed")
        return data

    def unpack(self, reader, got):
        data = reader.rest()
        if self.padded:
            got["width"] = len(data)
        return read_cp1251(data)


class Many(Codec):
    def __init__(self, codec: Codec, count: int):
        self.codec, self.count = codec, count

    def pack(self, value, obj):
        if len(value) != self.count:
            raise ValueError(f"needs exactly {self.count} values")
        return b"".join(self.codec.pack(v, obj) for v in value)

    def unpack(self, reader, got):
        return tuple(self.codec.unpack(reader, got) for _ in range(self.count))


class Trailing(Codec):
    """An optional field at the end that some models add: None when absent."""

    def __init__(self, codec: Codec):
        self.codec = codec

    def pack(self, value, obj):
        return b"" if value is None else self.codec.pack(value, obj)

    def unpack(self, reader, got):
        return None if not reader.left else self.codec.unpack(reader, got)


U8, U16, U32 = UInt(1), UInt(2), UInt(4)
MONEY = Units(5, 2)
DATE = Fixed(3, encode_date, decode_date)
TIME = Fixed(3, encode_time, decode_time)
FN_DATE = Fixed(3, encode_fn_date, decode_fn_date)
FN_DATETIME = Fixed(5, encode_fn_datetime, decode_fn_datetime)


def wire(codec: Codec, **kwargs: Any) -> Any:
    """A dataclass field that is on the wire, in definition order."""
    return dataclasses.field(metadata={"codec": codec}, **kwargs)


def password(default: int = CASHIER_PASSWORD) -> Any:
    """The 4-byte password right after the command; keyword-only so it can default."""
    return dataclasses.field(default=default, kw_only=True, metadata={"codec": U32})


def admin_password() -> Any:
    return password(ADMIN_PASSWORD)


# --- messages ------------------------------------------------------------------------------
class Struct:
    """A run of wire fields (a dataclass subclass lists them) without a command header."""

    def _pack(self) -> bytes:
        return b"".join(f.metadata["codec"].pack(getattr(self, f.name), self)
                        for f in dataclasses.fields(self) if "codec" in f.metadata)

    @classmethod
    def _unpack(cls, reader: Reader, got: dict[str, Any]) -> dict[str, Any]:
        for f in dataclasses.fields(cls):
            if "codec" in f.metadata:
                got[f.name] = f.metadata["codec"].unpack(reader, got)
        return got

    def encode(self) -> bytes:
        return self._pack()

    @classmethod
    def decode(cls, data: bytes):
        reader = Reader(data)
        got = cls._unpack(reader, {})
        if reader.left:
            raise ValueError(f"{cls.__name__}: {reader.left} unexpected trailing byte(s)")
        return cls(**got)


class Message(Struct):
    """A request (command + fields) or an answer (command + result code 0 + fields).

    ``COMMAND`` is the code; a class shared by several commands sets it to None and carries
    the code in its ``command`` field instead.
    """
    COMMAND: ClassVar[int | None] = None
    ANSWER: ClassVar[bool] = False

    @property
    def command_code(self) -> int:
        return self.COMMAND if self.COMMAND is not None else self.command

    def encode(self) -> bytes:
        payload = join_command(self.command_code, (b"\0" if self.ANSWER else b"") + self._pack())
        if len(payload) > MAX_PAYLOAD:
            raise ValueError(f"{type(self).__name__}: {len(payload)} bytes do not fit a frame "
                             f"(LEN is one byte: at most {MAX_PAYLOAD})")
        return payload

    @classmethod
    def decode(cls, payload: bytes):
        command, data = split_command(payload)
        if cls.COMMAND is not None and command != cls.COMMAND:
            raise FrameError(f"{cls.__name__} is command 0x{cls.COMMAND:02X}, "
                             f"not 0x{command:02X}")
        if cls.ANSWER:
            if not data:
                raise FrameError(f"answer to 0x{command:02X} without a result code")
            if data[0]:
                raise DeviceError(data[0], command)
            data = data[1:]
        reader = Reader(data)
        got = cls._unpack(reader, {} if cls.COMMAND is not None else {"command": command})
        if reader.left:
            raise ValueError(f"{cls.__name__}: {reader.left} unexpected trailing byte(s)")
        return cls(**got)


class Request(Message):
    pass


class Answer(Message):
    ANSWER = True
