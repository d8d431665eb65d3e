"""Russian for the equipment pages: registers, register groups, cashiers."""
MESSAGES = {
    # sub-navigation and lists
    "Equipment": "Оборудование", "Registers": "Кассы", "Register groups": "Группы касс",
    "Cashiers": "Кассиры", "The account's cash registers": "Кассы аккаунта",
    "Name": "Название", "Driver": "Драйвер", "Connection": "Подключение", "State": "Состояние",
    "Shift": "Смена", "Jobs waiting": "Заданий в очереди", "open since": "открыта с",
    "closed": "закрыта", "No registers yet.": "Касс пока нет.",
    "Suspended": "Приостановлена", "Online": "На связи", "Offline": "Нет связи",
    "Not reached yet": "Ещё не подключалась", "Removed": "Удалена",
    "Another device answered on its line": "На её линии ответило другое устройство",
    # adding a register
    "Add a register": "Добавить кассу", "Add the register": "Добавить кассу",
    "What the staff call it, e.g. Front desk or Bar":
        "Как её называют сотрудники, например «Ресепшн» или «Бар»",
    "Device URL": "Адрес устройства",
    "Shtrih-M: a serial port such as /dev/ttyUSB0 or COM3, or socket://10.0.0.5:7778 for a "
    "register on the network. Virtual register: virtual://NAME, e.g. virtual://test-bar.":
        "Штрих-М: последовательный порт, например /dev/ttyUSB0 или COM3, либо "
        "socket://10.0.0.5:7778 для кассы в сети. Виртуальная касса: virtual://ИМЯ, например "
        "virtual://test-bar.",
    "Shtrih-M (serial port or Ethernet)": "Штрих-М (COM-порт или Ethernet)",
    "Virtual register (simulated, no hardware)": "Виртуальная касса (эмулятор, без оборудования)",
    "Settings": "Настройки",
    "Paperless: print nothing, send every receipt electronically":
        "Без бумаги: ничего не печатать, все чеки отправлять в электронном виде",
    "A receipt then needs the customer's email or phone.":
        "Тогда в каждом чеке нужен email или телефон покупателя.",
    "Universal cashier: any cashier (or none) may be named":
        "Универсальный кассир: можно указать любого кассира (или никого)",
    "When off, every document on this register must name one of the account's cashiers.":
        "Если выключено, в каждом документе на этой кассе нужно указать одного из кассиров "
        "аккаунта.",
    "Open the shift by itself before the first receipt":
        "Открывать смену автоматически перед первым чеком",
    "When off, receipts fail until someone opens the shift.":
        "Если выключено, чеки не пробиваются, пока кто-нибудь не откроет смену.",
    "Close the shift (Z report) at the end of the day":
        "Закрывать смену (Z-отчёт) в конце дня",
    # a register's page
    "All registers": "Все кассы",
    "This register was removed on {when}. Its history stays readable; it cannot be used "
    "again.": "Эта касса удалена {when}. Её история доступна для просмотра, но пользоваться "
              "ею больше нельзя.",
    "Suspended: its jobs are held and nothing is printed. Activate it to print again.":
        "Приостановлена: задания ждут, ничего не печатается. Включите кассу, чтобы печать "
        "продолжилась.",
    "Binding ID": "Идентификатор привязки",
    "Removed: binding ID {binding_id} is retired and will not be used again.":
        "Касса удалена: идентификатор привязки {binding_id} выведен из оборота и больше не "
        "будет использован.",
    "Bound to the device with factory serial number {serial}. Another device on this line is "
    "refused; to replace the device, add it as a new register and remove this one.":
        "Привязана к устройству с заводским номером {serial}. Другое устройство на этой линии "
        "не будет принято; чтобы заменить устройство, добавьте его как новую кассу, а эту "
        "удалите.",
    "Nothing to type on the device: the first time a worker reaches the register at {url}, it "
    "reads the device's factory serial number and binds {binding_id} to it. Write the binding "
    "ID on a label on the device; quote it to support.":
        "На устройстве ничего вводить не нужно: при первом подключении к кассе по адресу {url} "
        "хаб прочитает её заводской номер и привяжет к нему {binding_id}. Напишите "
        "идентификатор привязки на наклейке на устройстве и называйте его в поддержке.",
    "Live state": "Текущее состояние", "Last seen": "Последняя связь", "Model": "Модель",
    "Serial number": "Заводской номер", "Open": "Открыта", "since": "с",
    "over 24 hours: close it (Z report)": "больше 24 часов: закройте её (Z-отчёт)",
    "Closed": "Закрыта", "last № {n}": "последняя № {n}", "Open receipt": "Открытый чек",
    "yes, left open": "да, остался открытым", "no": "нет", "Paper": "Бумага", "ok": "есть",
    "out: put in a new roll": "закончилась: вставьте новый рулон",
    "replaced; printing waits to go on": "заменена; печать ждёт продолжения",
    "FN number": "Номер ФН", "FN expires": "Срок действия ФН",
    "Last fiscal document": "Последний фискальный документ", "FD": "ФД",
    "Cash in drawer": "Наличные в кассе",
    # service
    "Service": "Обслуживание",
    "Service is not available while the register is suspended.":
        "Пока касса приостановлена, обслуживание недоступно.",
    "Each button puts a job in the print queue; it shows under Recent jobs below.":
        "Каждая кнопка ставит задание в очередь печати; оно появится ниже, в последних "
        "заданиях.",
    "Open shift": "Открыть смену", "X report": "X-отчёт",
    "Z report (close shift)": "Z-отчёт (закрыть смену)",
    "Cancel the open receipt": "Аннулировать открытый чек",
    "Reprint the last document": "Повторить последний документ", "Cut the paper": "Отрезать чек",
    "Close the shift and print the Z report?": "Закрыть смену и напечатать Z-отчёт?",
    "Cancel the receipt left open on the register?": "Аннулировать чек, оставшийся открытым?",
    "Cash in": "Внесение", "Cash out": "Выплата (инкассация)",
    "Amount to put in": "Сумма внесения", "Amount to take out": "Сумма выплаты",
    "Cashier": "Кассир", "Choose…": "Выберите…",
    # recent jobs
    "Recent jobs": "Последние задания", "When": "Когда", "Job": "Задание", "Total": "Сумма",
    "No jobs on this register yet.": "На этой кассе ещё не было заданий.",
    # settings, edit, suspend, remove
    "Save settings": "Сохранить настройки", "Name and connection": "Название и подключение",
    "Moving the same device to another port or address keeps its binding. To replace the "
    "device, add a new register and remove this one.":
        "Если то же устройство переехало на другой порт или адрес, привязка сохранится. Чтобы "
        "заменить устройство, добавьте новую кассу, а эту удалите.",
    "Save": "Сохранить", "Suspend or remove": "Приостановка и удаление",
    "Activate": "Включить", "Its held jobs go back to the print queue.":
        "Отложенные задания вернутся в очередь печати.",
    "Suspend {name}? Its jobs will be held and nothing printed until it is activated.":
        "Приостановить «{name}»? Задания будут ждать, ничего не напечатается, пока кассу не "
        "включат.",
    "Suspend": "Приостановить",
    "Jobs sent to it are kept and printed once it is activated.":
        "Присланные задания сохранятся и напечатаются после включения.",
    "Remove {name} for good? This cannot be undone: its jobs not yet printed are cancelled "
    "and binding ID {binding_id} is retired for ever.":
        "Удалить «{name}» навсегда? Отменить это нельзя: ещё не напечатанные задания будут "
        "отменены, а идентификатор привязки {binding_id} больше никогда не будет использован.",
    "Remove the register": "Удалить кассу",
    "Cannot be undone. Printed documents stay in the print queue.":
        "Отменить нельзя. Напечатанные документы останутся в очереди печати.",
    # groups
    "A job sent to a group prints on its active register with the fewest jobs waiting.":
        "Задание для группы печатается на работающей кассе группы, у которой меньше всего "
        "заданий в очереди.",
    "Group": "Группа", "Change": "Изменить", "no registers": "нет касс", "Edit": "Изменить",
    "Edit group {name}": "Изменить группу «{name}»",
    "Hold Ctrl (or Cmd) to choose several.": "Чтобы выбрать несколько, удерживайте Ctrl (или Cmd).",
    "Delete the group {name}? Its registers stay.": "Удалить группу «{name}»? Кассы останутся.",
    "Delete": "Удалить", "No groups yet.": "Групп пока нет.", "Add a group": "Добавить группу",
    "E.g. Restaurant or Karaoke halls": "Например, «Ресторан» или «Караоке-залы»",
    "Add the group": "Добавить группу",
    # cashiers
    "The names printed on receipts. A register with the universal cashier off accepts only "
    "these.": "Имена, которые печатаются в чеках. Касса с выключенным универсальным кассиром "
              "принимает только их.",
    "INN": "ИНН", "May work on": "Может работать на", "all registers": "всех кассах",
    "Edit cashier {name}": "Изменить кассира «{name}»",
    "12 digits; leave empty for none": "12 цифр; оставьте пустым, если ИНН нет",
    "None chosen: all registers.": "Ничего не выбрано — все кассы.",
    "Delete the cashier {name}?": "Удалить кассира «{name}»?",
    "No cashiers yet.": "Кассиров пока нет.", "Add a cashier": "Добавить кассира",
    "As printed on receipts, e.g. Иванова А.": "Как печатается в чеке, например Иванова А.",
    "The cashier's personal INN, 12 digits (optional)":
        "Личный ИНН кассира, 12 цифр (необязательно)",
    "Add the cashier": "Добавить кассира",
}
