"""The words of sharing, export and import, added to the UI's dictionary (beykusay.i18n)."""

from __future__ import annotations

from beykusay import i18n

EN = {
    "share": "Share…",
    "share_title": "Share this chat",
    "share_explain": (
        "Anyone with the link can read this chat as it is now, without an account. "
        "Your name is not shown. Later messages appear only after you refresh the snapshot."
    ),
    "share_create": "Create link",
    "share_link": "Link",
    "share_copy": "Copy link",
    "share_refresh": "Refresh snapshot",
    "share_refreshed": "The link now shows the chat as it is",
    "share_stop": "Stop sharing",
    "share_stopped": "The link no longer works",
    "share_as_of": "Snapshot of {when}",
    "export_markdown": "Export as Markdown",
    "export_json": "Export as JSON",
    "shared_badge": "Shared chat · read-only",
    "shared_when": "Shared {when}",
    "shared_gone": "This shared chat does not exist or is no longer shared.",
    "continue_copy": "Continue in my chats",
    "continue_login": "Log in to continue this chat",
    "you": "You",
    "transfer": "Export and import",
    "export_all": "Export all my chats",
    "export_all_hint": "One JSON file with every chat and every version of every answer.",
    "import_chats": "Import chats",
    "import_hint": (
        "A BeykuSay JSON export, or ChatGPT's data export: conversations.json or the .zip "
        "as downloaded (up to {limit} MB)."
    ),
    "import_working": "Importing…",
    "import_failed": "Nothing was imported: {reason}",
    "import_too_large": "The file is larger than the import limit ({limit} MB).",
    "imported_summary": "{count} chats imported",
    "imported_skipped": ", {count} skipped: {reasons}",
}
RU = {
    "share": "Поделиться…",
    "share_title": "Поделиться чатом",
    "share_explain": (
        "Любой, у кого есть ссылка, прочтёт этот чат таким, какой он сейчас, без аккаунта. "
        "Ваше имя не показывается. Новые сообщения появятся, только когда вы обновите снимок."
    ),
    "share_create": "Создать ссылку",
    "share_link": "Ссылка",
    "share_copy": "Копировать ссылку",
    "share_refresh": "Обновить снимок",
    "share_refreshed": "Ссылка показывает чат таким, какой он сейчас",
    "share_stop": "Закрыть доступ",
    "share_stopped": "Ссылка больше не работает",
    "share_as_of": "Снимок от {when}",
    "export_markdown": "Экспорт в Markdown",
    "export_json": "Экспорт в JSON",
    "shared_badge": "Общий чат · только чтение",
    "shared_when": "Опубликован {when}",
    "shared_gone": "Такого общего чата нет, или доступ к нему закрыт.",
    "continue_copy": "Продолжить в моих чатах",
    "continue_login": "Войдите, чтобы продолжить этот чат",
    "you": "Вы",
    "transfer": "Экспорт и импорт",
    "export_all": "Экспортировать все чаты",
    "export_all_hint": "Один файл JSON со всеми чатами и всеми версиями каждого ответа.",
    "import_chats": "Импортировать чаты",
    "import_hint": (
        "Экспорт BeykuSay в JSON или выгрузка данных ChatGPT: conversations.json или архив "
        ".zip как есть (до {limit} МБ)."
    ),
    "import_working": "Импорт…",
    "import_failed": "Ничего не импортировано: {reason}",
    "import_too_large": "Файл больше предела импорта ({limit} МБ).",
    "imported_summary": "Импортировано чатов: {count}",
    "imported_skipped": ", пропущено {count}: {reasons}",
}

i18n.EN.update(EN)
i18n.RU.update(RU)
