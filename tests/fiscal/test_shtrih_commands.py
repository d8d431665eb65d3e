"""Shtrih-M command codecs: the worked frames of research/fiscal.md §1.7 through the typed
requests and answers, hand-built layouts from §1.4, value helpers, and a hypothesis round trip
(encode → decode → equal, and back to the same bytes) for every request and answer class."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fiscal.protocols import shtrih_fields as F
from fiscal.protocols.shtrih import decode_frame, encode_frame
from fiscal.protocols.shtrih_commands import (
    ANSWERS, REQUESTS, CashAnswer, CashInRequest, CloseReceiptV2Request, Cmd, DeviceError,
    DeviceTypeRequest, EmptyAnswer, FnDocumentAnswer, FnReceiptDocument, FnSendTlvRequest,
    FnShiftDocument, FnStatusRequest, FrameError, FullStatusAnswer, OpenReceiptRequest,
    OpenShiftRequest, OperationV2Request, OperatorAnswer, PrintLineRequest, SaleRequest,
    ReceiptType, ShortStatusAnswer, ShortStatusRequest, TaxRate, UnknownCommand, ZReportRequest,
    decode_answer, decode_date, decode_fn_datetime, decode_request, encode_date,
    encode_fn_date, encode_fn_datetime, encode_time, error_answer, from_kopecks, parse_tlvs,
    read_cp1251, text_cp1251, tlv, tlv_string, to_kopecks, to_units)

D = Decimal
H = bytes.fromhex


# --- the worked frames ---------------------------------------------------------------------
@pytest.mark.parametrize("request_, frame", [
    (DeviceTypeRequest(), "02 01 FC FD"),
    (ShortStatusRequest(password=1), "02 05 10 01 00 00 00 14"),
    (OpenShiftRequest(password=1), "02 05 E0 01 00 00 00 E4"),
    (ZReportRequest(password=30), "02 05 41 1E 00 00 00 5A"),
    (CashInRequest(amount=D("100.00"), password=1), "02 0A 50 01 00 00 00 10 27 00 00 00 6C"),
    (FnStatusRequest(password=30), "02 06 FF 01 1E 00 00 00 E6"),
])
def test_worked_request_frames(request_, frame):
    assert encode_frame(request_.encode()) == H(frame)
    assert decode_request(decode_frame(H(frame))) == request_


def test_short_status_answer_vector_fields():
    frame = H("02 10 10 00 1E 00 00 04 00 00 00 00 00 00 00 00 00 00 1A")
    answer = decode_answer(Cmd.SHORT_STATUS, decode_frame(frame))
    assert answer == ShortStatusAnswer(operator=30, flags=0, mode=4, submode=0,
                                       operations_in_receipt=0, battery_voltage=0,
                                       power_voltage=0, fp_error=0, eklz_error=0)
    assert (answer.mode_number, answer.mode_status, answer.last_print_result) == (4, 0, None)
    assert encode_frame(answer.encode()) == frame


def test_error_answer_vector():
    frame = H("02 02 88 55 DF")
    assert encode_frame(error_answer(Cmd.CANCEL_RECEIPT, 0x55)) == frame
    with pytest.raises(DeviceError) as err:
        decode_answer(Cmd.CANCEL_RECEIPT, decode_frame(frame))
    assert (err.value.code, err.value.command) == (0x55, 0x88)
    with pytest.raises(DeviceError):          # the class's own decode refuses it the same way
        OperatorAnswer.decode(decode_frame(frame))
    assert error_answer(Cmd.OPERATION_V2, 0x4E) == H("FF 46 4E")
    with pytest.raises(ValueError):
        error_answer(0x88, 0)


def test_pyshtrih_captured_sale_layout():
    sale = SaleRequest(quantity=D("1"), price=D("123.45"), department=0, taxes=(1, 0, 0, 0),
                       text="Тест", width=48, password=1)
    expected = (H("80 01000000 E803000000 3930000000 00 01000000")
                + "Тест".encode("cp1251") + bytes(44))
    assert sale.encode() == expected
    assert encode_frame(expected)[1] == 0x44
    assert decode_request(expected) == sale


# --- hand-built layouts --------------------------------------------------------------------
def test_short_status_splits_operations_in_receipt():
    answer = ShortStatusAnswer(operator=1, flags=0x0302, mode=0x28, submode=3,
                               operations_in_receipt=0x1234, battery_voltage=0x9A,
                               power_voltage=0x8B, fp_error=0, eklz_error=0,
                               reserved=H("000000"), last_print_result=5)
    assert answer.encode() == H("10 00 01 0203 28 03 34 9A 8B 00 00 12 000000 05")
    assert (answer.mode_number, answer.mode_status) == (8, 2)     # open sale-return receipt


def test_full_status_is_48_bytes_with_fields_in_place():
    answer = FullStatusAnswer(
        operator=30, fw_version="A4", fw_build=0x0102, fw_date=date(2019, 3, 19),
        hall_number=1, document_number=0x0506, flags=0x0203, mode=2, submode=0, port=0,
        fp_version="B1", fp_build=7, fp_date=None, date=date(2024, 3, 15),
        time=time(10, 30, 5), fp_flags=1, serial_number=0x11223344, last_closed_shift=12,
        free_fp_records=2000, refiscalizations=1, refiscalizations_left=3, inn=7707083893)
    payload = answer.encode()
    assert len(payload) == 48
    assert payload[:13] == H("11 00 1E 4134 0201 130313 01 0605")
    assert payload[22:25] == bytes(3)                                # fp_date not set
    assert payload[25:31] == H("0F0318 0A1E05")
    assert payload[32:36] == H("44332211") and payload[42:48] == (7707083893).to_bytes(6, "little")
    assert FullStatusAnswer.decode(payload) == answer


def test_operation_v2_layout():
    item = OperationV2Request(operation=1, quantity=D("2.5"), price=D("100"), amount=None,
                              tax_amount=None, tax_rate=TaxRate.VAT20, department=1,
                              payment_method=4, payment_object=4, name="Номер")
    assert item.encode() == (H("FF46 1E000000 01 A02526000000 1027000000 FFFFFFFFFF FFFFFFFFFF"
                               " 01 01 04 04") + "Номер".encode("cp1251"))
    priced = dataclasses.replace(item, amount=D("250.00"), tax_amount=D("41.67"))
    assert priced.encode()[18:28] == H("A861000000 4710000000")
    assert decode_request(priced.encode()) == priced


def test_close_receipt_v2_layout_and_make():
    close = CloseReceiptV2Request.make(cash=D("150.00"), electronic=D("50.00"), credit=D("1"),
                                       taxes=(D("33.33"),) + (D(0),) * 5, tax_system=0x02)
    payload = close.encode()
    assert len(payload) == 2 + 4 + 16 * 5 + 1 + 6 * 5 + 1
    assert payload[:16] == H("FF45 1E000000 983A000000 8813000000")
    assert payload[6 + 14 * 5:6 + 15 * 5] == H("6400000000")             # sum 15: credit
    assert payload[87:92] == H("050D000000") and payload[-1] == 0x02
    assert (close.cash, close.electronic, close.credit, close.prepaid) == \
        (D("150.00"), D("50.00"), D("1"), D(0))


def test_fn_document_bodies_are_typed():
    receipt = H("FF0A 00 03 01 18030F0A1E 7B000000 D2029649 01 3930000000")
    answer = decode_answer(Cmd.FN_FIND_DOCUMENT, receipt)
    assert answer == FnDocumentAnswer(document_type=3, ofd_acknowledged=True,
                                      document=FnReceiptDocument(
                                          datetime=datetime(2024, 3, 15, 10, 30), fd_number=123,
                                          fiscal_sign=1234567890, operation=1,
                                          total=D("123.45")))
    assert answer.encode() == receipt
    with pytest.raises(ValueError):
        FnDocumentAnswer.decode(receipt[:-1])                           # total cut short
    shift = FnDocumentAnswer(document_type=5, ofd_acknowledged=False, document=FnShiftDocument(
        datetime=datetime(2024, 3, 15, 23, 59), fd_number=124, fiscal_sign=1, shift_number=7))
    assert shift.encode() == H("FF0A 00 05 00 18030F173B 7C000000 01000000 0700")
    other = FnDocumentAnswer(document_type=1, ofd_acknowledged=False, document=b"\x01\x02")
    assert FnDocumentAnswer.decode(other.encode()) == other


def test_open_receipt_layout():
    assert OpenReceiptRequest(receipt_type=ReceiptType.SALE_RETURN).encode() == H("8D 01000000 02")
    assert decode_request(H("8D 01000000 00")) == OpenReceiptRequest()


def test_generic_answers_carry_their_command():
    assert OperatorAnswer(Cmd.SALE, 30).encode() == H("80 00 1E")
    assert decode_answer(Cmd.X_REPORT, H("40 00 1E")) == OperatorAnswer(0x40, 30)
    assert decode_answer(Cmd.CASH_OUT, H("51 00 1E 0700")) == CashAnswer(0x51, 30, 7)
    assert decode_answer(Cmd.OPEN_SHIFT, H("E0 00")) == EmptyAnswer(0xE0)
    assert decode_answer(Cmd.OPERATION_V2, H("FF46 00")) == EmptyAnswer(0xFF46)


# --- malformed payloads --------------------------------------------------------------------
@pytest.mark.parametrize("payload, error", [
    ("10 01 00 00", ValueError),                     # password cut short
    ("10 01 00 00 00 00", ValueError),               # a trailing byte
    ("8D 01 00 00 00 07", ValueError),               # receipt type 7
    ("25 01 00 00 00 02", ValueError),               # cut type 2
    ("FF46 1E000000 05", ValueError),                # operation 5 (and cut short)
    ("99 01 00 00 00", UnknownCommand),
    ("FF", FrameError),
])
def test_decode_request_refuses(payload, error):
    with pytest.raises(error):
        decode_request(H(payload))


def test_decode_answer_refuses():
    with pytest.raises(FrameError, match="expected 0x10"):
        decode_answer(Cmd.SHORT_STATUS, H("11 00"))
    with pytest.raises(FrameError, match="without a result code"):
        decode_answer(Cmd.OPEN_SHIFT, H("E0"))
    with pytest.raises(ValueError):
        decode_answer(Cmd.SUBTOTAL, H("89 00 1E 00"))
    with pytest.raises(DeviceError) as err:           # JPOS: another FF code → low byte = code
        decode_answer(Cmd.OPERATION_V2, H("FF 33"))
    assert (err.value.code, err.value.command) == (0x33, 0xFF46)
    with pytest.raises(UnknownCommand):
        decode_answer(0x99, H("99 00"))


def test_encode_refuses_what_does_not_fit():
    with pytest.raises(ValueError, match="fit a frame"):
        PrintLineRequest(text="x", width=251).encode()
    with pytest.raises(ValueError):
        CashInRequest(amount=D("-1")).encode()
    with pytest.raises(ValueError):
        CashInRequest(amount=D("11000000000")).encode()             # over 5 bytes of kopecks
    with pytest.raises(ValueError):
        FnSendTlvRequest(tlv=bytes(250)).encode()
    assert len(FnSendTlvRequest(tlv=bytes(249)).encode()) == 255
    with pytest.raises(TypeError):
        CashInRequest(amount=1.5).encode()
    with pytest.raises(ValueError):
        OperationV2Request(operation=1, quantity=D(1), price=D(1), name="я" * 129).encode()
    with pytest.raises(ValueError, match="not given"):     # FF×5 would read back as None
        OperationV2Request(operation=1, quantity=D(1), price=D(1),
                           amount=from_kopecks(256 ** 5 - 1)).encode()


def test_every_command_has_codecs_and_the_documented_password():
    assert set(REQUESTS) == set(Cmd) == set(ANSWERS)
    admin = {Cmd.X_REPORT, Cmd.Z_REPORT, Cmd.CONTINUE_PRINTING} | {c for c in Cmd if c > 0xFF}
    for command, cls in REQUESTS.items():
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        if command == Cmd.DEVICE_TYPE:
            assert "password" not in defaults
        else:
            assert dataclasses.fields(cls)[0].name == "password"
            assert defaults["password"] == (30 if command in admin else 1), command


# --- value helpers -------------------------------------------------------------------------
def test_money_rounds_half_up_explicitly():
    assert to_kopecks(D("1.005")) == 101 and to_kopecks(D("1.0049")) == 100
    assert to_kopecks(D("-1.005")) == -101 and to_kopecks(D("0.125")) == 13   # not half-even
    assert to_kopecks(7) == 700 and to_units(D("2.0005"), 3) == 2001
    assert from_kopecks(12345) == D("123.45") and str(from_kopecks(100)) == "1.00"
    for bad in (1.5, True, "1.00"):
        with pytest.raises(TypeError):
            to_kopecks(bad)
    with pytest.raises(ValueError):
        to_kopecks(D("NaN"))


def test_text_and_dates():
    assert text_cp1251("Тест", 6) == H("D2E5F1F2 0000")
    assert text_cp1251("abcdef", 3) == b"abc" and text_cp1251("€😀") == H("88 3F")
    assert read_cp1251(b"ab\0cd") == "ab"
    assert encode_date(date(2024, 3, 15)) == H("0F0318") and decode_date(bytes(3)) is None
    assert encode_time(time(10, 30, 5)) == H("0A1E05")
    assert encode_fn_date(date(2024, 3, 15)) == H("18030F")
    assert encode_fn_datetime(datetime(2024, 3, 15, 10, 30)) == H("18030F0A1E")
    assert decode_fn_datetime(H("18030F0A1E")) == datetime(2024, 3, 15, 10, 30)
    with pytest.raises(ValueError):
        decode_date(H("1F0218"))                  # 31 February


def test_tlvs():
    assert tlv(1008, b"ab") == H("F003 0200 6162")
    assert tlv_string(1008, "Тест") == H("F003 0400 92A5E1E2")                  # cp866
    assert parse_tlvs(tlv(1008, b"ab") + tlv(1021, b"")) == [(1008, b"ab"), (1021, b"")]
    for bad in (H("F003 02"), H("F003 0300 6162")):
        with pytest.raises(ValueError):
            parse_tlvs(bad)


@given(st.lists(st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=30)), max_size=6))
def test_tlv_round_trip(items):
    assert parse_tlvs(b"".join(tlv(t, v) for t, v in items)) == items


# --- round trips for every request and answer ----------------------------------------------
CP1251 = "".join(ch for b in range(1, 256) for ch in [bytes([b]).decode("cp1251", "ignore")])
DATES = st.dates(date(2000, 1, 1), date(2099, 12, 31))


def strategy(codec: F.Codec, room: int = 60) -> st.SearchStrategy:
    if isinstance(codec, F.MaybeMoney):
        return st.none() | strategy(F.MONEY).filter(lambda m: m != from_kopecks(256 ** 5 - 1))
    if isinstance(codec, F.Units):
        top = 256 ** codec.size
        units = st.integers(-top // 2, top // 2 - 1) if codec.signed else st.integers(0, top - 1)
        return units.map(lambda u: Decimal(u).scaleb(-codec.places))
    if isinstance(codec, F.UInt):
        return st.sampled_from(codec.allowed) if codec.allowed else \
            st.integers(0, 256 ** codec.size - 1)
    if isinstance(codec, F.Flag):
        return st.booleans()
    if codec is F.DATE or codec is F.FN_DATE:
        return st.none() | DATES
    if codec is F.TIME:
        return st.times().map(lambda t: t.replace(microsecond=0))
    if codec is F.FN_DATETIME:
        return st.none() | st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31, 23, 59)) \
            .map(lambda d: d.replace(second=0, microsecond=0))
    if isinstance(codec, F.Ascii):
        return st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=codec.size)
    if isinstance(codec, F.Raw):
        return st.binary(min_size=codec.size, max_size=codec.size)
    if isinstance(codec, F.Rest):
        return st.binary(max_size=min(codec.limit, room))
    if isinstance(codec, F.Text):
        return st.text(CP1251, max_size=min(codec.limit, room))
    if isinstance(codec, F.Many):
        return st.tuples(*[strategy(codec.codec)] * codec.count)
    if isinstance(codec, F.Trailing):
        return st.none() | strategy(codec.codec)
    raise AssertionError(f"no strategy for {codec}")


@st.composite
def message(draw, cls):
    kwargs = {}
    for f in dataclasses.fields(cls):
        codec = f.metadata.get("codec")
        if codec is None or f.name == "document":
            continue
        if isinstance(codec, F.Text) and codec.padded:
            kwargs["text"] = draw(strategy(codec, room=120))
            kwargs["width"] = draw(st.integers(len(text_cp1251(kwargs["text"])), 180))
        else:
            kwargs[f.name] = draw(strategy(codec))
    if cls in (OperatorAnswer, EmptyAnswer, CashAnswer):
        kwargs["command"] = draw(st.sampled_from([c for c, a in ANSWERS.items() if a is cls]))
    if cls is FnDocumentAnswer:
        kwargs["document_type"] = draw(st.sampled_from([2, 3, 5, 31]) | st.integers(0, 255))
        body = {2: FnShiftDocument, 5: FnShiftDocument, 3: FnReceiptDocument,
                31: FnReceiptDocument}.get(kwargs["document_type"])
        kwargs["document"] = draw(st.binary(max_size=40) if body is None else message(body))
    if cls is ShortStatusAnswer:
        byte = st.integers(0, 255)
        kwargs = dict(operator=draw(byte), flags=draw(st.integers(0, 0xFFFF)),
                      mode=draw(byte), submode=draw(byte),
                      operations_in_receipt=draw(st.integers(0, 0xFFFF)),
                      battery_voltage=draw(byte), power_voltage=draw(byte),
                      fp_error=draw(byte), eklz_error=draw(byte),
                      reserved=draw(st.binary(min_size=3, max_size=3)),
                      last_print_result=draw(st.none() | byte))
    return cls(**kwargs)


ALL = sorted(set(REQUESTS.values()) | set(ANSWERS.values()), key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip(cls, data):
    msg = data.draw(message(cls))
    payload = msg.encode()
    assert cls.decode(payload) == msg
    again = decode_answer(msg.command_code, payload) if cls.ANSWER else decode_request(payload)
    assert again == msg and again.encode() == payload
    assert decode_frame(encode_frame(payload)) == payload
