"""Russian for the connection pages: connections, their settings, events."""
MESSAGES = {
    # health in words
    "The health check did not answer": "Проверка состояния не ответила",
    "The source system reports a problem: {detail}": "Внешняя система сообщает о проблеме: {detail}",
    "{n} posting(s) may or may not have arrived: check them on the source system and settle them":
        "Проводок, дошедших или нет — неизвестно: {n}. Проверьте их во внешней системе и "
        "закройте вопрос",
    "{n} posting(s) failed: fix the cause and repeat them":
        "Проводок с ошибкой: {n}. Устраните причину и повторите их",
    "{n} event(s) were rejected: fix the connection's settings and replay them":
        "Отклонённых событий: {n}. Исправьте настройки подключения и повторите их",
    "Working": "Работает", "Copy": "Скопировать", "Actions": "Действия", "Pages": "Страницы",
    "Show": "Показать", "Details": "Подробности",
    # event and posting states
    "Accepted": "Принято", "Rejected": "Отклонено",
    "Waiting to be sent": "Ждёт отправки", "Sending": "Отправляется", "Posted": "Проведено",
    "Failed": "Ошибка", "Cancelled": "Отменено",
    # the list
    "The systems that send the hub their bills and payments: the restaurant POS, the hotel PMS.":
        "Системы, которые присылают хабу счета и оплаты: касса ресторана, PMS гостиницы.",
    "System": "Система", "Prints on": "Где печатается", "Health": "Состояние",
    "Last event": "Последнее событие", "Events": "События",
    "Connector not installed": "Коннектор не установлен", "Group": "Группа",
    "none yet": "пока не было", "Rejected: {n}": "Отклонено: {n}",
    "No connections yet.": "Подключений пока нет.",
    "Add a connection": "Добавить подключение",
    "No connector is installed.": "Не установлено ни одного коннектора.",
    "— choose —": "— выберите —", "Next": "Далее",
    "How the operators will call it, e.g. Restaurant POS":
        "Как его будут называть сотрудники, например «Касса ресторана»",
    "Settings": "Настройки", "Add the connection": "Добавить подключение",
    # one connection
    "About": "Сведения", "Added": "Добавлено",
    "Webhook address (give it to the system)": "Адрес вебхука (укажите его в системе)",
    "Rejected events: {n}": "Отклонённые события: {n}",
    "Its documents in the print queue": "Его документы в очереди печати",
    "Settings of {system}": "Настройки {system}",
    "Its connector is not installed: its settings cannot be checked or changed here.":
        "Его коннектор не установлен: проверить или изменить настройки здесь нельзя.",
    "Time zone": "Часовой пояс", "Business day closes at": "Конец рабочего дня",
    "Delete the connection": "Удалить подключение",
    "Its webhook stops accepting events at once. The documents and postings it produced stay.":
        "Его вебхук сразу перестанет принимать события. Созданные документы и проводки "
        "останутся.",
    "Delete the connection {name}? This cannot be undone: events from the system will be refused.":
        "Удалить подключение «{name}»? Это нельзя отменить: события от системы больше не будут "
        "приниматься.",
    # the settings form
    "Default: {value}": "По умолчанию: {value}",
    "Secret: shown as ******** — leave it to keep the stored one, or type a new one":
        "Секрет: показан как ******** — оставьте, чтобы сохранить прежний, или введите новый",
    "Default ({value})": "По умолчанию ({value})", "— not set —": "— не задано —",
    "(JSON; leave it empty for the default)": "(JSON; оставьте пустым для значения по умолчанию)",
    "Where its receipts print": "Где печатать чеки",
    "Choose one register, or a group of registers (then any free register of the group prints).":
        "Выберите одну кассу или группу касс (тогда печатает любая свободная касса группы).",
    "Register": "Касса", "— none —": "— нет —", "Register group": "Группа касс",
    "IANA name, e.g. Europe/Moscow, Asia/Yekaterinburg":
        "Название по IANA, например Europe/Moscow, Asia/Yekaterinburg",
    "Local time; the end-of-day run happens then":
        "Местное время; в это время выполняется закрытие дня",
    # events
    "Events of {name}": "События: {name}",
    "Each bill or payment the system sent, once. A rejected event made no receipt: fix the cause (often the connection's settings), then replay it.":
        "Каждый счёт или платёж, присланный системой, — по одному разу. По отклонённому событию "
        "чек не создан: устраните причину (часто это настройки подключения) и повторите его.",
    "Filter": "Фильтр", "All events": "Все события", "Only rejected": "Только отклонённые",
    "Only accepted": "Только принятые", "Event": "Событие", "Type": "Тип", "State": "Состояние",
    "Result": "Результат", "replayed {n} time(s)": "повторов: {n}",
    "{jobs} document(s), {postings} posting(s)": "документов: {jobs}, проводок: {postings}",
    "No rejected events: nothing waits for a fix.":
        "Отклонённых событий нет: исправлять нечего.",
    "No events yet.": "Событий пока нет.",
    "Newest events": "К новым событиям", "Older events": "Более ранние события",
    "Cannot be replayed: the system must send it again":
        "Повторить нельзя: система должна прислать его заново",
    "Replay the event {id}": "Повторить событие {id}", "Replay": "Повторить",
    # one event
    "What happened": "Что произошло", "Why rejected": "Причина отказа",
    "Processed": "Обработано", "Replays": "Повторов",
    "Documents it made": "Созданные документы", "Document": "Документ", "Total": "Сумма",
    "None.": "Нет.", "Postings it made": "Созданные проводки", "Posting": "Проводка",
    "Amount": "Сумма", "The event as received": "Событие в том виде, как получено",
    "Passwords, keys and other secrets are shown as ********.":
        "Пароли, ключи и другие секреты показаны как ********.",
    "Contents": "Содержимое", "The request as the system sent it": "Запрос, как его прислала система",
}
