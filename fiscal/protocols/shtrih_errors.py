"""Shtrih-M result codes (the byte after the command in an answer): names, texts, meaning.

Codes follow the Shtrih-M protocol with fiscal storage (ФН) firmware: 0x01..0x2F are the fiscal
storage's own errors, 0x30 and up the register's (research/fiscal.md §1.6). ``message`` gives
the Russian and English text of any code; ``classify`` says what the hub makes of it (its
stable error code, whether a person must act first, and what they do); ``DeviceError`` is what
decoding an error answer raises.
"""
from __future__ import annotations

from typing import NamedTuple

# Codes used by name (the simulator refuses with these; drivers test for them).
FN_EXPIRED = 0x05
FN_FAILURE = 0x03
BAD_PARAMETERS = 0x33
SHIFT_ALREADY_OPEN = 0x3C
SHIFT_NOT_OPEN = 0x3D
PAYMENTS_LESS_THAN_TOTAL = 0x45
NOT_ENOUGH_CASH = 0x46
WRONG_RECEIPT_OPERATION = 0x49
RECEIPT_OPEN = 0x4A
RECEIPT_BUFFER_FULL = 0x4B
NONCASH_EXCEEDS_TOTAL = 0x4D
SHIFT_EXPIRED = 0x4E
RECEIPT_CLOSED = 0x55
NOTHING_TO_REPEAT = 0x56
WAITING_CONTINUE_PRINTING = 0x58
NO_PAPER = 0x6B
ZERO_TOTAL = 0x8E
WRONG_PASSWORD = 0x4F
STILL_PRINTING = 0x50
COMMAND_NOT_SUPPORTED = 0x37
NOT_IN_THIS_SUBMODE = 0x72
NOT_IN_THIS_MODE = 0x73

MESSAGES: dict[int, tuple[str, str]] = {
    0x01: ("ФН: Неизвестная команда, неверный формат посылки или неизвестные параметры",
           "FN: unknown command, bad format or unknown parameters"),
    0x02: ("ФН: Неверное состояние ФН", "FN: wrong fiscal storage state"),
    0x03: ("ФН: Отказ ФН", "FN: fiscal storage failure"),
    0x04: ("ФН: Отказ КС", "FN: crypto coprocessor failure"),
    0x05: ("ФН: Закончен срок эксплуатации ФН", "FN: fiscal storage lifetime expired"),
    0x06: ("ФН: Архив ФН переполнен", "FN: fiscal storage archive full"),
    0x07: ("ФН: Неверные дата и/или время", "FN: wrong date or time"),
    0x08: ("ФН: Нет запрошенных данных", "FN: no requested data"),
    0x09: ("ФН: Некорректное значение параметров команды",
           "FN: incorrect command parameter values"),
    0x10: ("ФН: Превышение размеров TLV данных", "FN: TLV data too large"),
    0x11: ("ФН: Нет транспортного соединения", "FN: no transport connection"),
    0x12: ("ФН: Исчерпан ресурс КС", "FN: crypto resource exhausted"),
    0x14: ("ФН: Исчерпан ресурс хранения", "FN: storage resource exhausted (OFD backlog)"),
    0x15: ("ФН: Исчерпан ресурс ожидания передачи сообщения",
           "FN: the oldest unsent message is older than 30 days"),
    0x16: ("ФН: Продолжительность смены более 24 часов", "FN: shift longer than 24 hours"),
    0x17: ("ФН: Неверная разница во времени между 2 операциями",
           "FN: wrong time difference between two operations"),
    0x20: ("ФН: Сообщение от ОФД не может быть принято", "FN: OFD message cannot be accepted"),
    0x2F: ("Таймаут обмена с ФН", "fiscal storage exchange timeout"),
    0x30: ("ФН не отвечает", "fiscal storage not responding"),
    0x33: ("Некорректные параметры в команде", "incorrect command parameters"),
    0x37: ("Команда не поддерживается в данной реализации ККТ",
           "command not supported by this register"),
    0x3C: ("Смена открыта – операция невозможна", "shift open: operation impossible"),
    0x3D: ("Смена не открыта – операция невозможна", "shift not open: operation impossible"),
    0x45: ("Сумма всех типов оплаты меньше итога чека",
           "sum of all payments is less than the receipt total"),
    0x46: ("Не хватает наличности в кассе", "not enough cash in the drawer"),
    0x49: ("Операция невозможна в открытом чеке данного типа",
           "operation impossible in an open receipt of this type"),
    0x4A: ("Открыт чек – операция невозможна", "receipt open: operation impossible"),
    0x4B: ("Буфер чека переполнен", "receipt buffer overflow"),
    0x4D: ("Вносимая безналичной оплатой сумма больше суммы чека",
           "non-cash payments exceed the receipt total"),
    0x4E: ("Смена превысила 24 часа", "shift exceeded 24 hours"),
    0x4F: ("Неверный пароль", "wrong password"),
    0x50: ("Идет печать предыдущей команды", "still printing the previous command"),
    0x55: ("Чек закрыт – операция невозможна", "receipt closed: operation impossible"),
    0x56: ("Нет документа для повтора", "no document to repeat"),
    0x58: ("Ожидание команды продолжения печати", "waiting for the continue-printing command"),
    0x59: ("Документ открыт другим оператором", "document opened by another operator"),
    0x5E: ("Некорректная операция", "incorrect operation"),
    0x6B: ("Нет чековой ленты", "no receipt paper"),
    0x71: ("Ошибка отрезчика", "cutter error"),
    0x72: ("Команда не поддерживается в данном подрежиме",
           "command not supported in this submode"),
    0x73: ("Команда не поддерживается в данном режиме", "command not supported in this mode"),
    0x8E: ("Нулевой итог чека", "zero receipt total"),
}


def message(code: int) -> tuple[str, str]:
    """``(ru, en)`` text of a result code; unknown codes get a generic text naming the code."""
    return MESSAGES.get(code, (f"Ошибка 0x{code:02X}", f"error 0x{code:02X}"))


class DeviceError(Exception):
    """The register answered a command with a non-zero result code (an error answer)."""

    def __init__(self, code: int, command: int):
        self.code = code
        self.command = command
        self.message_ru, self.message_en = message(code)
        super().__init__(f"command 0x{command:02X}: 0x{code:02X} {self.message_ru} "
                         f"({self.message_en})")


class Classification(NamedTuple):
    code: str                 # the hub's stable error code
    needs_operator: bool      # NeedsOperator (a person acts first) or plain NotPrinted
    action: str | None        # what the operator does


_REPEAT = "then repeat the job"
_CLASSES: dict[int, Classification] = {
    0x05: Classification("fn_expired", True,
                         "Replace the fiscal storage (ФН) and re-register the register"),
    0x14: Classification("fn_ofd_backlog", True,
                         "Let the register send its documents to the OFD (check its internet "
                         f"connection), {_REPEAT}"),
    0x15: Classification("fn_ofd_backlog", True,
                         "Let the register send its documents to the OFD (check its internet "
                         f"connection), {_REPEAT}"),
    0x16: Classification("shift_expired", True, f"Close the shift (Z report), {_REPEAT}"),
    0x33: Classification("bad_parameters", False, "Check the job's data against the register"),
    0x3C: Classification("shift_already_open", False, None),
    0x3D: Classification("shift_not_open", False, f"Open the shift, {_REPEAT}"),
    0x45: Classification("payments_less_than_total", False,
                         "Correct the payments so they cover the total"),
    0x46: Classification("not_enough_cash", True,
                         f"Deposit cash into the drawer (cash in) or pay by card, {_REPEAT}"),
    0x49: Classification("wrong_receipt_operation", False,
                         f"Cancel the open receipt, {_REPEAT}"),
    0x4A: Classification("receipt_open", False, f"Cancel the open receipt, {_REPEAT}"),
    0x4B: Classification("receipt_too_long", False, "Split the receipt into smaller ones"),
    0x4D: Classification("noncash_exceeds_total", False,
                         "Correct the payments: only cash may exceed the total"),
    0x4E: Classification("shift_expired", True, f"Close the shift (Z report), {_REPEAT}"),
    0x55: Classification("receipt_closed", False, "Repeat the job"),
    0x56: Classification("nothing_to_repeat", False, None),
    0x58: Classification("continue_printing", True,
                         f"Continue printing on the register (paper was replaced), {_REPEAT}"),
    0x6B: Classification("paper_out", True, f"Load paper, {_REPEAT}"),
    0x71: Classification("cutter_error", True, "Check the register's cutter"),
    0x72: Classification("not_in_this_mode", False, None),
    0x73: Classification("not_in_this_mode", False, None),
    0x8E: Classification("zero_total", False, "Check the document: its total is zero"),
}
_FN_ERROR = Classification("fn_error", True,
                           "Check the fiscal storage (ФН); call the service centre if it persists")
_OTHER = Classification("register_refused", False, None)


def classify(device_code: int) -> Classification:
    """How the hub treats a Shtrih-M result code (a fiscal storage error needs a person)."""
    if device_code in _CLASSES:
        return _CLASSES[device_code]
    if 0x01 <= device_code <= 0x30:
        return _FN_ERROR
    return _OTHER
