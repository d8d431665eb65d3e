"""What the waiter reads at the POS when a charge does not go through: Lightspeed prints a 4xx/5xx
answer's ``customerErrorMessage`` (at most 50 characters; a longer or malformed body shows only
the status code). Each message says what happened and what to do, in the connection's
``language``; a test holds every one to the limit. Pure data."""
from __future__ import annotations

LIMIT = 50
LANGUAGES = ("en", "ru")

# situation -> (HTTP status, {language: message})
MESSAGES: dict[str, tuple[int, dict[str, str]]] = {
    "unavailable": (503, {"en": "Hotel system not reachable. Use another payment",
                          "ru": "Нет связи с отелем. Выберите другую оплату"}),
    "refused": (422, {"en": "Hotel refused the charge. Check guest at desk",
                      "ru": "Отель отклонил начисление. Проверьте гостя"}),
    "unclear": (502, {"en": "Charge unconfirmed. Ask front desk, don't retry",
                      "ru": "Начисление не подтверждено. Звоните на ресепшн"}),
    "in_progress": (409, {"en": "Charge still posting. Try again in a minute",
                          "ru": "Начисление идёт. Повторите через минуту"}),
    "unreadable": (422, {"en": "Bill could not be read. Tell the manager",
                         "ru": "Счёт не прочитан. Сообщите менеджеру"}),
    "not_linked": (503, {"en": "Room charge not set up. Tell the manager",
                         "ru": "Начисление в номер не настроено. Скажите менеджеру"}),
    "no_key": (400, {"en": "Request without idempotency key. Tell support",
                     "ru": "Запрос без ключа идемпотентности. Сообщите ИТ"}),
}


def error(situation: str, language: str) -> tuple[int, dict]:
    """``(status, {"customerErrorMessage": …})`` for a situation, in ``language`` (English when
    the language is unknown)."""
    status, texts = MESSAGES[situation]
    return status, {"customerErrorMessage": texts.get(language) or texts["en"]}
