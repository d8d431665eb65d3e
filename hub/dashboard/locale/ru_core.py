"""Russian for the shared parts: the frame, login, profile, overview, labels."""
MESSAGES = {
    # labels (hub/dashboard/labels.py)
    "Received": "Получено", "Queued": "В очереди", "Printing": "Печатается",
    "Printed": "Напечатано", "Failed": "Ошибка", "Needs attention": "Требует внимания",
    "Held": "Отложено", "Cancelled": "Отменено",
    "Receipt": "Чек", "Correction receipt": "Чек коррекции", "Open shift": "Открыть смену",
    "Z report (close shift)": "Z-отчёт (закрыть смену)", "X report": "X-отчёт",
    "Cash in": "Внесение", "Cash out": "Выплата (инкассация)",
    "Cancel the open receipt": "Аннулировать открытый чек",
    "Reprint the last document": "Повторить последний документ", "Cut the paper": "Отрезать чек",
    "Status": "Статус",
    "Sale": "Приход", "Sale refund": "Возврат прихода", "Purchase": "Расход",
    "Purchase refund": "Возврат расхода",
    "General (OSN)": "Общая (ОСН)", "Simplified, income (USN)": "УСН доход",
    "Simplified, income minus expenses": "УСН доход минус расход",
    "Unified agricultural tax (ESKhN)": "ЕСХН", "Patent": "Патент",
    "Full payment": "Полный расчёт", "Full prepayment": "Предоплата 100%",
    "Prepayment": "Предоплата", "Advance": "Аванс", "Partial payment": "Частичный расчёт",
    "Credit": "Передача в кредит", "Credit payment": "Оплата кредита",
    "Cash": "Наличные", "Card (electronic)": "Безналичные (карта)", "Prepaid": "Предоплата (аванс)",
    "Credit (postpay)": "Постоплата (кредит)", "Other": "Иная форма оплаты",
    "No VAT": "Без НДС", "VAT 0%": "НДС 0%", "VAT 5%": "НДС 5%", "VAT 7%": "НДС 7%",
    "VAT 10%": "НДС 10%", "VAT 20%": "НДС 20%", "VAT 22%": "НДС 22%",
    "VAT 5/105": "НДС 5/105", "VAT 7/107": "НДС 7/107", "VAT 10/110": "НДС 10/110",
    "VAT 20/120": "НДС 20/120", "VAT 22/122": "НДС 22/122",
    "Owner": "Владелец", "Administrator": "Администратор", "Operator": "Оператор",
    "Viewer": "Наблюдатель",
}
MESSAGES.update({
    # session messages (hub.api.auth.SESSION_ENDED_MESSAGES)
    "Your session ended for security after {minutes} minutes without activity; log in again":
        "Сеанс завершён в целях безопасности: {minutes} мин без действий. Войдите снова",
    "You logged out; log in again": "Вы вышли. Войдите снова",
    "Your session ended: your user was blocked or deleted":
        "Сеанс завершён: ваш пользователь заблокирован или удалён",
    "Your session is not known (it may have ended); log in again":
        "Сеанс не найден (возможно, он завершён). Войдите снова",
    "Your session ended: an administrator reset your password; log in with the new one":
        "Сеанс завершён: администратор сбросил ваш пароль. Войдите с новым паролем",
    "Your session ended; log in again": "Сеанс завершён. Войдите снова",
    # the frame
    "Skip to content": "К содержимому", "Main": "Главное меню", "Log out": "Выйти",
    "Overview": "Обзор", "Equipment": "Оборудование", "Print queue": "Очередь печати",
    "New receipt": "Новый чек", "Connections": "Подключения", "Account": "Учётная запись",
    "The request was refused": "Запрос отклонён",
    "The hub did not answer; try again": "Хаб не ответил, попробуйте ещё раз",
    "Done": "Готово", "Copied": "Скопировано",
    "Live updates paused; reconnecting…": "Обновления приостановлены, переподключение…",
    # login, password, profile
    "Log in": "Войти", "Login": "Логин", "Password": "Пароль",
    "The form expired; please log in again": "Форма устарела, войдите ещё раз",
    "Wrong login or password": "Неверный логин или пароль",
    "This user is blocked; ask the account's owner or administrator":
        "Пользователь заблокирован. Обратитесь к владельцу или администратору",
    "Enter your login and password": "Введите логин и пароль",
    "Change your password": "Смена пароля",
    "You were given a one-time password. Choose your own before you go on.":
        "Вам выдан одноразовый пароль. Прежде чем продолжить, задайте свой.",
    "Current password": "Текущий пароль", "New password": "Новый пароль",
    "At least 10 characters, not your login": "Не короче 10 символов и не совпадает с логином",
    "Change password": "Сменить пароль", "My profile": "Мой профиль",
    "Name, email and language": "Имя, почта и язык", "Name": "Имя", "Email": "Эл. почта",
    "Dashboard language": "Язык интерфейса", "Save": "Сохранить",
    "Not allowed": "Нет доступа", "Your role may not do this:": "Вашей роли это недоступно:",
    "Back to the overview": "Вернуться к обзору",
    # overview
    "Registers": "Кассы", "Needs attention": "Требует внимания",
    "Documents per minute, last 3 hours": "Документов в минуту за последние 3 часа",
    "Suspended": "Приостановлена", "Online": "На связи", "Offline": "Нет связи",
    "Not reached yet": "Ещё не подключалась", "Shift": "Смена", "open": "открыта",
    "closed": "закрыта", "{hours} h {minutes} min": "{hours} ч {minutes} мин",
    "Paper": "Бумага", "ok": "есть", "out": "закончилась", "FN expires": "ФН до",
    "Jobs waiting": "Заданий в очереди", "Last document": "Последний документ", "FD": "ФД",
    "Last seen": "Последняя связь", "No registers yet.": "Касс пока нет.",
    "Add a register": "Добавить кассу", "All": "Все", "busiest minute": "пик в минуту",
    "Documents printed per minute over the last 3 hours":
        "Напечатано документов в минуту за последние 3 часа",
    "Repeat": "Повторить", "Activate": "Возобновить",
    "Close shift (Z report)": "Закрыть смену (Z-отчёт)",
    "Suspended: its jobs are held and nothing is printed":
        "Приостановлена: задания отложены, ничего не печатается",
    "Another device answered on its line": "На линии ответило другое устройство",
    "The shift is over 24 hours old: close it (Z report) to print again":
        "Смена открыта больше 24 часов: закройте её (Z-отчёт), чтобы снова печатать",
    "The shift nears 24 hours: close it (Z report) soon":
        "Смена скоро достигнет 24 часов: закройте её (Z-отчёт)",
    "Out of paper: put in a new roll": "Закончилась бумага: вставьте новый рулон",
    "A receipt is left open on the register": "На кассе остался открытый чек",
    "The fiscal storage (FN) expires soon: order a replacement":
        "Скоро истекает срок ФН: закажите замену",
})
MESSAGES.update({
    "Room charge": "Начисление на номер", "End-of-day revenue": "Выручка за день",
    "Tip": "Чаевые", "It may have arrived: look for it there first.":
        "Возможно, она уже дошла: сначала проверьте там.",
    "It is there: mark posted": "Она там: отметить проведённой",
    "It is not there: send again": "Её там нет: отправить снова",
    "Send again": "Отправить снова",
})
MESSAGES.update({
    "End of day": "Закрытие дня", "Polling": "Опрос", "Shift guard (Z report)":
        "Контроль смены (Z-отчёт)",
    "It is tried again by itself; if it keeps failing, fix the cause (often the connection's settings).":
        "Повтор будет автоматически; если ошибка повторяется, устраните причину (часто это настройки подключения).",
})
