"""Russian for the print queue (list, details, repeat, refund) and the manual receipt form."""
MESSAGES = {
    # the queue
    "Print queue": "Очередь печати",
    "Filters": "Фильтры",
    "A filter is not valid: see the field marked below.":
        "Фильтр задан неверно: см. отмеченное поле ниже.",
    "All registers": "Все кассы",
    "Register": "Касса",
    "Document ID": "Номер документа",
    "Created from": "Создан с",
    "Created to": "Создан по",
    "Amount from": "Сумма от",
    "Amount to": "Сумма до",
    "Kind": "Тип",
    "State": "Состояние",
    "Connection": "Подключение",
    "Any source": "Любой источник",
    "FD number": "Номер ФД",
    "Show": "Показать",
    "Clear filters": "Сбросить фильтры",
    "By state": "По состояниям",
    "{n} in all": "всего {n}",
    "Documents": "Документы",
    "Created": "Создан",
    "Document": "Документ",
    "Total": "Итого",
    "Details": "Подробнее",
    "Open": "Открыть",
    "No documents match these filters.": "Нет документов по этим фильтрам.",
    "The queue is empty.": "Очередь пуста.",
    "First page": "Первая страница",
    "Next page": "Следующая страница",
    "Cancel tasks": "Отмена заданий",
    "Cancels every job of the register that was not sent to it yet (received, queued or held). "
    "Jobs being printed, printed, failed or needing attention are left alone.":
        "Отменяет все задания кассы, которые ещё не отправлены на неё (полученные, в очереди "
        "или отложенные). Печатающиеся, напечатанные, с ошибкой и требующие внимания задания "
        "не затрагиваются.",
    "Cancel every job of this register that was not sent yet?":
        "Отменить все ещё не отправленные задания этой кассы?",
    "suspended": "приостановлена",
    "Reason": "Причина",
    "Cancel tasks not yet sent": "Отменить неотправленные задания",
    # details
    "What went wrong": "Что пошло не так",
    "What to do": "Что сделать",
    "Repeat": "Повторить",
    "I checked the register's last document: the register did not print it":
        "Я проверил(а) последний документ кассы: касса его не напечатала",
    "Correct and repeat": "Исправить и повторить",
    "This cancels every job of this register not yet sent, not only this one. Go on?":
        "Будут отменены все ещё не отправленные задания этой кассы, а не только это. "
        "Продолжить?",
    "Cancel": "Отмена",
    "Reason for cancelling": "Причина отмены",
    "Cancel the register's unsent jobs": "Отменить неотправленные задания кассы",
    "Refund": "Возврат",
    "As it prints": "Как будет напечатан",
    "Taxation": "СНО",
    "Cashier": "Кассир",
    "INN": "ИНН",
    "TOTAL": "ИТОГ",
    "Customer": "Покупатель",
    "Electronic only (not printed on paper)": "Только в электронном виде (без печати)",
    "Refund of": "Возврат по чеку",
    "This document has no content of its own.": "У этого документа нет своего содержимого.",
    "Fiscal result": "Фискальные данные",
    "Fiscal sign (FP)": "Фискальный признак (ФП)",
    "FN number": "Номер ФН",
    "Shift": "Смена",
    "Receipt number in the shift": "Номер чека за смену",
    "Date and time": "Дата и время",
    "Filled in when the register prints it.": "Появятся, когда касса напечатает документ.",
    "Where it came from": "Откуда пришёл",
    "Scheduler": "Планировщик",
    "Event": "Событие",
    "Sent directly (API or this dashboard), not from a connection.":
        "Отправлен напрямую (через API или эту панель), а не из подключения.",
    "Refunds": "Возвраты",
    "No refunds yet.": "Возвратов пока нет.",
    "Left to refund": "Осталось вернуть",
    "History": "История",
    "When": "Когда",
    "From": "Из",
    "To": "В",
    "By": "Кто",
    "Why": "Почему",
    "Previous error": "Прежняя ошибка",
    "Attempts at the register": "Попытки печати на кассе",
    "Started": "Начало",
    "Finished": "Конец",
    "Outcome": "Итог попытки",
    # repeat
    "Back to the document": "Назад к документу",
    "Only a failed job or one that needs attention can be repeated; this one is {state}.":
        "Повторить можно только задание с ошибкой или требующее внимания; это — «{state}».",
    "It stays the same document (same ID and document ID), printed on the same register. "
    "The operation and the kind cannot change: to print something else, cancel it and make a "
    "new receipt.":
        "Это останется тот же документ (тот же ID и номер документа) на той же кассе. "
        "Операцию и тип изменить нельзя: чтобы напечатать другое, отмените его и пробейте "
        "новый чек.",
    "Customer email": "Email покупателя",
    "Items": "Позиции",
    "Item name": "Наименование",
    "Price": "Цена",
    "Quantity": "Количество",
    "Amount": "Сумма",
    "VAT": "НДС",
    "Payment method": "Признак способа расчёта",
    "Remove line": "Удалить строку",
    "Add line": "Добавить строку",
    "Payments": "Оплата",
    "Payment type": "Вид оплаты",
    "Paid": "Оплачено",
    "Remove payment": "Удалить оплату",
    "Add payment": "Добавить оплату",
    "Content (JSON)": "Содержимое (JSON)",
    "The job as it will be printed. Correct what the register refused and repeat.":
        "Задание в том виде, в каком будет напечатано. Исправьте то, что касса не приняла, и "
        "повторите.",
    "Reason (for the history)": "Причина (для истории)",
    "Save and print again": "Сохранить и напечатать снова",
    # refund
    "Refund receipt": "Чек возврата",
    "Refund of the receipt for {total}": "Возврат по чеку на {total}",
    "Only a printed sale (or purchase) receipt can be refunded.":
        "Вернуть можно только напечатанный чек прихода (или расхода).",
    "Everything on this receipt was refunded already.": "По этому чеку уже всё возвращено.",
    "Print the refund receipt?": "Напечатать чек возврата?",
    "Tick the lines to refund and how much of each. Left to refund in all: {total}.":
        "Отметьте позиции для возврата и их количество. Всего осталось вернуть: {total}.",
    "Item": "Позиция",
    "Left": "Осталось",
    "Quantity to refund": "Вернуть, количество",
    "Refund {name}": "Вернуть «{name}»",
    "Quantity of {name} to refund": "Количество «{name}» к возврату",
    "How the money goes back": "Как вернуть деньги",
    "Leave empty to pay back the way it was paid: card and other non-cash first, cash last.":
        "Оставьте пустым, чтобы вернуть так же, как платили: сначала на карту и другие "
        "безналичные, наличными — в последнюю очередь.",
    "As it was paid": "Как платили",
    "Amount paid back": "Сумма возврата",
    "Print the refund receipt": "Напечатать чек возврата",
    # manual receipt
    "New receipt": "Новый чек",
    "A receipt typed in by hand, for a sale the POS did not send. It is printed on the chosen "
    "register like any document of the queue.":
        "Чек, введённый вручную, — для продажи, которую не передала кассовая программа. "
        "Печатается на выбранной кассе, как любой документ очереди.",
    "The account has no register yet.": "В аккаунте пока нет ни одной кассы.",
    "Cashier from the list": "Кассир из списка",
    "— type the name instead —": "— или введите имя —",
    "Cashier's name as printed": "Имя кассира на чеке",
    "Operation": "Операция",
    "Taxation system": "Система налогообложения",
    "What is sold": "Предмет расчёта",
    "Service": "Услуга",
    "Goods": "Товар",
    "Customer email (for the electronic receipt)": "Email покупателя (для электронного чека)",
    "Print the receipt": "Напечатать чек",
    "Cancel this document? It will not be printed.":
        "Отменить этот документ? Он не будет напечатан.",
    "Cancel this document": "Отменить документ",
    "Select": "Выбрать", "Select {kind} {total}": "Выбрать: {kind} {total}",
    "Cancel the selected documents": "Отмена выбранных документов",
    "Tick the documents in the list above (those not sent yet, or failed), give the reason and cancel them: they will not be printed.":
        "Отметьте документы в списке выше (ещё не отправленные или с ошибкой), укажите причину и отмените их: они не будут напечатаны.",
    "Cancel the selected documents? They will not be printed.":
        "Отменить выбранные документы? Они не будут напечатаны.",
    "Cancel the selected": "Отменить выбранные",
}
