"""Shtrih-M frames: the worked examples of research/fiscal.md §1.7 byte for byte, the frame
codec's refusals, the incremental FrameAssembler, and the error table."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fiscal.protocols import shtrih_errors
from fiscal.protocols.shtrih import (ACK, ENQ, NAK, STX, BadFrame, Control, Frame,
                                     FrameAssembler, FrameError, decode_frame, encode_frame,
                                     join_command, lrc, split_command)
from fiscal.simulators import refusals

# (payload, frame) from research/fiscal.md §1.7
VECTORS = [
    ("FC", "02 01 FC FD"),
    ("10 01 00 00 00", "02 05 10 01 00 00 00 14"),
    ("10 00 1E 00 00 04 00 00 00 00 00 00 00 00 00 00",
     "02 10 10 00 1E 00 00 04 00 00 00 00 00 00 00 00 00 00 1A"),
    ("E0 01 00 00 00", "02 05 E0 01 00 00 00 E4"),
    ("41 1E 00 00 00", "02 05 41 1E 00 00 00 5A"),
    ("50 01 00 00 00 10 27 00 00 00", "02 0A 50 01 00 00 00 10 27 00 00 00 6C"),
    ("FF 01 1E 00 00 00", "02 06 FF 01 1E 00 00 00 E6"),
    ("88 55", "02 02 88 55 DF"),
]


@pytest.mark.parametrize("payload, frame", VECTORS)
def test_worked_examples_both_ways(payload, frame):
    payload, frame = bytes.fromhex(payload), bytes.fromhex(frame)
    assert encode_frame(payload) == frame
    assert decode_frame(frame) == payload
    assert lrc(frame[1:-1]) == frame[-1]


def test_lrc_is_the_xor_of_len_and_payload():
    assert lrc(bytes.fromhex("02 88 55")) == 0xDF
    assert lrc(b"") == 0


@pytest.mark.parametrize("frame, why", [
    ("03 01 FC FD", "not a frame"),                   # bad STX
    ("02 01 FC FE", "bad LRC"),
    ("02 02 FC FD", "does not match"),                # LEN says 2, one byte follows
    ("02 01 FC FD 00", "does not match"),             # one byte too many
    ("02 00 00 00", "does not match"),                # LEN 0: no command
    ("02 01 FC", "not a frame"),
])
def test_decode_frame_refuses(frame, why):
    with pytest.raises(FrameError, match=why):
        decode_frame(bytes.fromhex(frame))


def test_frame_error_is_a_value_error():
    assert issubclass(FrameError, ValueError)


@pytest.mark.parametrize("size", [0, 256])
def test_encode_frame_refuses_sizes(size):
    with pytest.raises(ValueError):
        encode_frame(bytes(size))


def test_encode_frame_takes_255_bytes():
    frame = encode_frame(b"\x17" * 255)
    assert frame[:2] == b"\x02\xff" and len(frame) == 258 and decode_frame(frame) == b"\x17" * 255


def test_join_and_split_command():
    assert join_command(0x10, b"\x01\x00\x00\x00") == b"\x10\x01\x00\x00\x00"
    assert join_command(0xFF46, b"\x1e") == b"\xff\x46\x1e"      # high byte first
    assert split_command(b"\xff\x46\x1e") == (0xFF46, b"\x1e")
    assert split_command(b"\xfc") == (0xFC, b"")
    for bad in (0xFF, 0x100, 0xFEFF, 0x10000, -1):
        with pytest.raises(ValueError):
            join_command(bad, b"")
    for bad in (b"", b"\xff"):
        with pytest.raises(FrameError):
            split_command(bad)


@given(st.integers(0, 0xFE) | st.integers(0xFF00, 0xFFFF), st.binary(max_size=20))
def test_join_split_round_trip(command, data):
    assert split_command(join_command(command, data)) == (command, data)


@given(st.binary(min_size=1, max_size=255))
def test_frame_round_trip(payload):
    frame = encode_frame(payload)
    assert frame[0] == STX and frame[1] == len(payload) and len(frame) == len(payload) + 3
    assert decode_frame(frame) == payload


@given(st.binary(min_size=1, max_size=255), st.data())
def test_any_single_corrupted_byte_after_len_is_caught(payload, data):
    frame = bytearray(encode_frame(payload))
    pos = data.draw(st.integers(2, len(frame) - 1))
    frame[pos] ^= data.draw(st.integers(1, 255))
    with pytest.raises(FrameError, match="bad LRC"):
        decode_frame(bytes(frame))
    assert FrameAssembler().feed(bytes(frame)) == [BadFrame(bytes(frame))]


# --- FrameAssembler ------------------------------------------------------------------------
def test_assembler_on_a_mixed_stream():
    good = encode_frame(b"\x10\x00\x1e")
    bad = good[:-1] + bytes([good[-1] ^ 0xFF])
    asm = FrameAssembler()
    stream = b"\x05" + b"\x99\x00" + good + b"\x06" + bad + b"\x15" + good[:3]
    assert asm.feed(stream) == [Control(ENQ), Frame(b"\x10\x00\x1e"), Control(ACK),
                                BadFrame(bad), Control(NAK)]
    assert asm.noise == 2 and asm.partial
    assert asm.reset() == good[:3] and not asm.partial and asm.noise == 5
    assert asm.feed(good) == [Frame(b"\x10\x00\x1e")]


def test_control_bytes_inside_a_frame_are_data():
    payload = bytes([ENQ, ACK, NAK, STX])
    assert FrameAssembler().feed(encode_frame(payload)) == [Frame(payload)]


def test_len_zero_frame_is_bad():
    assert FrameAssembler().feed(b"\x02\x00\x00") == [BadFrame(b"\x02\x00\x00")]


NOISE = st.integers(0, 255).filter(lambda b: b not in (STX, ENQ, ACK, NAK))
ITEM = st.one_of(
    st.sampled_from([ENQ, ACK, NAK]).map(lambda b: ("control", b)),
    st.binary(min_size=1, max_size=40).map(lambda p: ("frame", p)),
    st.tuples(st.binary(min_size=1, max_size=40), st.integers(1, 255)).map(
        lambda t: ("bad", t)),
    st.lists(NOISE, min_size=1, max_size=4).map(lambda n: ("noise", bytes(n))),
)


def render(items):
    stream, expected = b"", []
    for kind, value in items:
        if kind == "control":
            stream += bytes([value])
            expected.append(Control(value))
        elif kind == "frame":
            stream += encode_frame(value)
            expected.append(Frame(value))
        elif kind == "bad":
            payload, mask = value
            frame = encode_frame(payload)
            frame = frame[:-1] + bytes([frame[-1] ^ mask])
            stream += frame
            expected.append(BadFrame(frame))
        else:
            stream += value
    return stream, expected


@given(st.lists(ITEM, max_size=12), st.data())
def test_assembler_gives_the_same_events_however_the_stream_is_split(items, data):
    stream, expected = render(items)
    whole = FrameAssembler()
    assert whole.feed(stream) == expected
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    pieces = [stream[a:b] for a, b in zip([0] + cuts, cuts + [len(stream)])]
    split = FrameAssembler()
    assert [e for piece in pieces for e in split.feed(piece)] == expected
    assert split.noise == whole.noise == sum(len(v) for k, v in items if k == "noise")
    assert not split.partial


# --- the error table -----------------------------------------------------------------------
def test_messages_and_unknown_codes():
    assert shtrih_errors.message(0x6B) == ("Нет чековой ленты", "no receipt paper")
    assert shtrih_errors.message(0x55)[1] == "receipt closed: operation impossible"
    assert shtrih_errors.message(0xE7) == ("Ошибка 0xE7", "error 0xE7")


def test_device_error_carries_code_command_and_texts():
    err = shtrih_errors.DeviceError(0x55, 0x88)
    assert (err.code, err.command) == (0x55, 0x88)
    assert err.message_en == "receipt closed: operation impossible"
    assert str(err) == "command 0x88: 0x55 Чек закрыт – операция невозможна " \
                       "(receipt closed: operation impossible)"


def test_refusals_re_exports_the_protocol_table():
    assert refusals.MESSAGES is shtrih_errors.MESSAGES
    assert refusals.classify is shtrih_errors.classify
    assert (refusals.NO_PAPER, refusals.SHIFT_EXPIRED, refusals.ZERO_TOTAL) == (0x6B, 0x4E, 0x8E)
    assert refusals.classify(0x6B) == ("paper_out", True, "Load paper, then repeat the job")
    assert refusals.classify(0x12).code == "fn_error"
    assert refusals.classify(0x99).code == "register_refused"
    refusal = refusals.RegisterRefusal(0xE7)
    assert (refusal.message_ru, refusal.message_en) == ("Ошибка 0xE7", "error 0xE7")
    assert str(refusals.RegisterRefusal(0x3D)) == ("0x3D: Смена не открыта – операция невозможна "
                                                   "(shift not open: operation impossible)")
