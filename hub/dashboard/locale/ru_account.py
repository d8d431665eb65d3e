"""Russian for the account pages: users, API keys, the audit log."""
MESSAGES = {
    # sub-navigation and shared
    "Users": "Пользователи", "API keys": "API-ключи", "Audit log": "Журнал действий",
    "Copy": "Скопировать", "Done, refresh the list": "Готово, обновить список",
    "Actions": "Действия", "Delete": "Удалить", "never": "ни разу", "Pages": "Страницы",
    "Role": "Роль", "Language": "Язык",
    # users
    "One-time password — shown only now": "Разовый пароль — показывается только сейчас",
    "One-time password": "Разовый пароль",
    "Hand it to the user: they log in with it and choose their own password at once. It cannot be shown again; reset the password if it is lost.":
        "Передайте его пользователю: он войдёт с ним и сразу задаст свой пароль. Повторно пароль "
        "не показывается; если он потерян, сбросьте пароль ещё раз.",
    "Last login": "Последний вход", "you": "это вы", "Blocked": "Заблокирован",
    "Has a one-time password": "Разовый пароль", "Active": "Активен", "Edit": "Изменить",
    "Edit user {login}": "Изменить пользователя {login}",
    "Unblock {login}": "Разблокировать {login}", "Unblock": "Разблокировать",
    "Block {login}? Their sessions end at once and they cannot log in until unblocked.":
        "Заблокировать {login}? Все его сеансы сразу завершатся, и войти он не сможет, пока его "
        "не разблокируют.",
    "Block {login}": "Заблокировать {login}", "Block": "Заблокировать",
    "Reset the password of {login}": "Сбросить пароль {login}",
    "Reset the password of {login}? Their sessions end and they get a new one-time password.":
        "Сбросить пароль {login}? Его сеансы завершатся, и он получит новый разовый пароль.",
    "Reset password": "Сбросить пароль",
    "Delete {login}? This cannot be undone: they can no longer log in.":
        "Удалить {login}? Это нельзя отменить: пользователь больше не сможет войти.",
    "Delete {login}": "Удалить {login}",
    "Add a user": "Добавить пользователя",
    "The user gets a one-time password, shown here once; they choose their own at the first login.":
        "Пользователь получит разовый пароль — он будет показан здесь один раз; при первом входе "
        "пользователь задаст свой.",
    "3 to 64 letters, digits and . _ @ -": "От 3 до 64 символов: латинские буквы, цифры и . _ @ -",
    "Add the user": "Добавить",
    # API keys
    "A PMS, a POS or a script calls the hub's API with a key. Issue one key per system: then you can delete one without stopping the others.":
        "PMS, кассовая программа или скрипт обращаются к API хаба по ключу. Выдавайте отдельный "
        "ключ каждой системе: тогда один можно удалить, не останавливая остальные.",
    "The new API key — shown only now": "Новый API-ключ — показывается только сейчас",
    "API key": "API-ключ",
    "Copy it into the system that will use it (as Authorization: Bearer <key>). The hub keeps only its fingerprint: it cannot be shown again.":
        "Скопируйте его в систему, которая будет им пользоваться (заголовок Authorization: "
        "Bearer <ключ>). Хаб хранит только отпечаток ключа: показать его снова нельзя.",
    "Starts with": "Начинается с", "Issued": "Выдан", "Issued by": "Кем выдан",
    "Last used": "Последнее использование",
    "Delete the key {name}? It stops working at once: the systems using it will be refused.":
        "Удалить ключ «{name}»? Он сразу перестанет работать: системам с этим ключом будет "
        "отказано.",
    "Delete the key {name}": "Удалить ключ {name}",
    "No API keys yet.": "API-ключей пока нет.",
    "Issue an API key": "Выдать API-ключ", "Who will use it": "Кто будет им пользоваться",
    "For example: Clock PMS, the restaurant POS": "Например: Clock PMS, касса ресторана",
    "Issue the key": "Выдать ключ",
    # audit log
    "Who did what in the account, newest first.": "Кто что делал в аккаунте, сначала новые.",
    "Who": "Кто", "Action": "Действие", "Object type": "Тип объекта", "Object ID": "ID объекта",
    "user:<login>, api_key:<prefix> or cli": "user:<логин>, api_key:<префикс> или cli",
    "e.g. user.block, api_key.create (several: separate by commas)":
        "например, user.block, api_key.create (несколько — через запятую)",
    "user, api_key, register, connection…": "user, api_key, register, connection…",
    "Per page": "На странице", "Show": "Показать", "Clear the filters": "Сбросить фильтры",
    "The hub refused the filter:": "Хаб не принял фильтр:",
    "When": "Когда", "Object": "Объект", "Details": "Подробности",
    "No entries match.": "Подходящих записей нет.",
    "Newest entries": "К новым записям", "Older entries": "Более ранние записи",
}
