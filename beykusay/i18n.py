"""The UI's words in English and Russian, and how a language is chosen."""

from __future__ import annotations

from typing import Final

from beykusay import i18n_files, i18n_team

LANGUAGES: Final = ("en", "ru")
DEFAULT: Final = "en"

EN: dict[str, str] = {
    "app_tagline": "Your own AI chat, on your own server.",
    "landing_lead": (
        "BeykuSay is a self-hosted chat with an AI assistant. Answers stream in as they are "
        "written, a model's thinking is shown apart from its answer, and every conversation "
        "stays in your account on a server you run."
    ),
    "feature_stream_title": "Live answers",
    "feature_stream_text": "Markdown with highlighted code appears as the model writes it.",
    "feature_think_title": "Visible thinking",
    "feature_think_text": "Reasoning models show their thoughts in a block you can fold away.",
    "feature_own_title": "Yours to keep",
    "feature_own_text": "Chats live in your database. A REST API lets your scripts in too.",
    "log_in": "Log in",
    "register": "Create account",
    "log_out": "Log out",
    "username": "Username",
    "password": "Password",
    "password_repeat": "Repeat password",
    "login_title": "Welcome back",
    "login_subtitle": "Log in to continue your conversations.",
    "register_title": "Create your account",
    "register_subtitle": "Pick a name and a password of at least 8 characters.",
    "no_account": "No account yet?",
    "have_account": "Already have an account?",
    "invalid_credentials": "Wrong username or password.",
    "too_many_attempts": "Too many failed attempts. Try again in {seconds} s.",
    "username_taken": "That username is taken. Try another one.",
    "username_rules": "3–32 characters: letters, digits, _ . -",
    "password_rules": "At least 8 characters (at most 128).",
    "passwords_differ": "The passwords do not match.",
    "fill_in": "Please fill in both fields.",
    "new_chat": "New chat",
    "search_chats": "Search chats",
    "no_chats": "No chats yet.",
    "no_matches": "Nothing found.",
    "show_more": "Show more",
    "chat_actions": "Chat actions",
    "rename": "Rename",
    "delete": "Delete",
    "cancel": "Cancel",
    "save": "Save",
    "rename_chat": "Rename chat",
    "title": "Title",
    "title_rules": "A title needs 1–200 characters.",
    "delete_chat": "Delete chat?",
    "delete_chat_text": "“{title}” and all its messages will be deleted for good.",
    "chat_deleted": "Chat deleted.",
    "chat_not_found": "This chat does not exist or was deleted.",
    "back_to_chats": "Back to chats",
    "empty_title": "How can I help you today?",
    "empty_text": "Ask anything. Enter sends, Shift+Enter starts a new line.",
    "message_placeholder": "Message BeykuSay…",
    "send": "Send",
    "stop": "Stop",
    "model": "Model",
    "demo": "demo",
    "demo_mode": "Demo mode",
    "demo_hint": "No Gemini API key is set: answers come from a built-in demo.",
    "thinking": "Thinking…",
    "thought_for": "Thought for {seconds} s",
    "thought": "Thoughts",
    "copy": "Copy",
    "copied": "Copied",
    "copy_failed": "Copy failed — select the text and press Ctrl+C",
    "regenerate": "Regenerate",
    "edit": "Edit",
    "save_and_send": "Send",
    "edit_keys": "Enter sends as a new version, Esc cancels",
    "previous_version": "Previous version",
    "next_version": "Next version",
    "version_of": "Version {index} of {count}",
    "retry": "Retry",
    "stopped": "Stopped",
    "cut_off": "Cut off at the length limit",
    "continue": "Continue",
    "continue_hint": "Send “Continue” as a new message",
    "continue_message": "Continue",
    "history_trimmed": "The {count} oldest messages were left out to fit the model's memory.",
    "interrupted": "The server stopped while this answer was being written.",
    "answer_failed": "The answer failed",
    "busy": "An answer is being written. Stop it or wait a moment.",
    "too_long": "A message can have at most 32,000 characters; this one has {count:,}.",
    "unstorable_text": "This message holds characters that cannot be saved (NUL, broken Unicode).",
    "earlier": "Load earlier messages",
    "session_ended": "Your session has ended. Please log in again.",
    "settings": "Settings",
    "appearance": "Appearance",
    "theme": "Theme",
    "theme_light": "Light",
    "theme_dark": "Dark",
    "theme_auto": "Auto",
    "toggle_theme": "Switch theme",
    "language": "Language",
    "language_auto": "Browser default",
    "chat_defaults": "Chats",
    "default_model": "Default model for new chats",
    "custom_instructions": "Custom instructions",
    "custom_instructions_hint": "Told to the assistant in every chat (at most 8,000 characters).",
    "saved": "Saved.",
    "change_password": "Change password",
    "current_password": "Current password",
    "new_password": "New password",
    "wrong_password": "The current password is wrong.",
    "password_changed": "Password changed. Other sessions were logged out.",
    "account": "Account",
    "signed_in_as": "Signed in as {name}",
    "open_menu": "Menu",
    "error_generic": "Something went wrong. Please try again.",
    # why an answer failed, by error code (English readers see the stored text itself)
    "error_rate_limited": (
        "Gemini is rate-limiting requests right now. Please try again in a moment."
    ),
    "error_overloaded": "Gemini is temporarily unavailable. Please try again in a moment.",
    "error_auth": (
        "The server's Gemini API key was rejected. Ask the administrator to check GOOGLE_API_KEY."
    ),
    "error_model_not_found": (
        "The Gemini model was not found. Ask the administrator to check the model list."
    ),
    "error_bad_request": "Gemini could not process this request.",
    "error_blocked": "Gemini blocked this message and did not answer. Try rephrasing it.",
    "error_timeout": "Gemini stopped responding. Please try again.",
    "error_connection": "The connection to Gemini was lost. Please try again.",
    "error_truncated": "The answer was cut off before Gemini finished.",
    "error_unknown": "Something went wrong while talking to the model. Please try again later.",
    "error_safety": "Gemini's safety filters stopped this answer.",
    "error_recitation": "Gemini stopped the answer because it was repeating protected text.",
    "error_unexpected_finish": "Gemini ended the answer unexpectedly.",
    "error_empty": "The model returned an empty answer. Please try again.",
    "error_internal": "Something went wrong while generating the answer.",
    "disclaimer": "Answers can be wrong: check what matters.",
    "server_restarting": "The server is restarting. Please try again in a moment.",
    "unavailable": "Logging in is not possible right now. Please try again in a moment.",
    "too_fast": "You are sending messages too fast. Try again in {seconds} s.",
    "web_search_on": "Web search is on: answers may search Google and cite sources",
    "web_search_off": "Web search is off: click to let answers search Google",
    "searching": "Searching…",
    "sources": "Sources",
    "searched_for": "Searched for:",
    "search_suggestions": "Google Search suggestions",
}

RU: dict[str, str] = {
    "app_tagline": "Свой ИИ-чат на своём сервере.",
    "landing_lead": (
        "BeykuSay — чат с ИИ-ассистентом, который вы размещаете у себя. Ответы появляются по "
        "мере написания, размышления модели показаны отдельно от ответа, а все беседы "
        "хранятся в вашей учётной записи на вашем сервере."
    ),
    "feature_stream_title": "Живые ответы",
    "feature_stream_text": "Markdown и подсвеченный код появляются, пока модель пишет.",
    "feature_think_title": "Видимые размышления",
    "feature_think_text": "Рассуждающие модели показывают мысли в сворачиваемом блоке.",
    "feature_own_title": "Всё остаётся у вас",
    "feature_own_text": "Чаты хранятся в вашей базе. REST API открыт и для ваших скриптов.",
    "log_in": "Войти",
    "register": "Создать аккаунт",
    "log_out": "Выйти",
    "username": "Имя пользователя",
    "password": "Пароль",
    "password_repeat": "Повторите пароль",
    "login_title": "С возвращением",
    "login_subtitle": "Войдите, чтобы продолжить беседы.",
    "register_title": "Создание аккаунта",
    "register_subtitle": "Выберите имя и пароль не короче 8 символов.",
    "no_account": "Ещё нет аккаунта?",
    "have_account": "Уже есть аккаунт?",
    "invalid_credentials": "Неверное имя пользователя или пароль.",
    "too_many_attempts": "Слишком много неудачных попыток. Повторите через {seconds} с.",
    "username_taken": "Это имя уже занято. Попробуйте другое.",
    "username_rules": "3–32 символа: латинские буквы, цифры, _ . -",
    "password_rules": "Не короче 8 символов (не длиннее 128).",
    "passwords_differ": "Пароли не совпадают.",
    "fill_in": "Заполните оба поля.",
    "new_chat": "Новый чат",
    "search_chats": "Поиск по чатам",
    "no_chats": "Чатов пока нет.",
    "no_matches": "Ничего не найдено.",
    "show_more": "Показать ещё",
    "chat_actions": "Действия с чатом",
    "rename": "Переименовать",
    "delete": "Удалить",
    "cancel": "Отмена",
    "save": "Сохранить",
    "rename_chat": "Переименовать чат",
    "title": "Название",
    "title_rules": "Название — от 1 до 200 символов.",
    "delete_chat": "Удалить чат?",
    "delete_chat_text": "«{title}» и все его сообщения будут удалены безвозвратно.",
    "chat_deleted": "Чат удалён.",
    "chat_not_found": "Такого чата нет или он удалён.",
    "back_to_chats": "К чатам",
    "empty_title": "Чем могу помочь?",
    "empty_text": "Спросите что угодно. Enter — отправить, Shift+Enter — новая строка.",
    "message_placeholder": "Сообщение для BeykuSay…",
    "send": "Отправить",
    "stop": "Стоп",
    "model": "Модель",
    "demo": "демо",
    "demo_mode": "Демо-режим",
    "demo_hint": "Ключ Gemini API не задан: ответы даёт встроенное демо.",
    "thinking": "Размышляю…",
    "thought_for": "Размышлял {seconds} с",
    "thought": "Размышления",
    "copy": "Копировать",
    "copied": "Скопировано",
    "copy_failed": "Не удалось скопировать — выделите текст и нажмите Ctrl+C",
    "regenerate": "Ответить заново",
    "edit": "Изменить",
    "save_and_send": "Отправить",
    "edit_keys": "Enter — отправить новой версией, Esc — отмена",
    "previous_version": "Предыдущая версия",
    "next_version": "Следующая версия",
    "version_of": "Версия {index} из {count}",
    "retry": "Повторить",
    "stopped": "Остановлено",
    "cut_off": "Ответ оборван: достигнут предел длины",
    "continue": "Продолжить",
    "continue_hint": "Отправить «Продолжай» новым сообщением",
    "continue_message": "Продолжай",
    "history_trimmed": (
        "Самые старые сообщения ({count}) не поместились в память модели и не были отправлены."
    ),
    "interrupted": "Сервер остановился, пока писался этот ответ.",
    "answer_failed": "Ответ не получен",
    "busy": "Ответ ещё пишется. Остановите его или подождите.",
    "too_long": "Сообщение может содержать не более 32 000 символов, а в этом {count}.",
    "unstorable_text": "В сообщении есть символы, которые нельзя сохранить (NUL или битый Юникод).",
    "earlier": "Загрузить более ранние сообщения",
    "session_ended": "Сеанс завершён. Войдите снова.",
    "settings": "Настройки",
    "appearance": "Оформление",
    "theme": "Тема",
    "theme_light": "Светлая",
    "theme_dark": "Тёмная",
    "theme_auto": "Авто",
    "toggle_theme": "Сменить тему",
    "language": "Язык",
    "language_auto": "Как в браузере",
    "chat_defaults": "Чаты",
    "default_model": "Модель для новых чатов",
    "custom_instructions": "Пользовательские инструкции",
    "custom_instructions_hint": "Передаются ассистенту в каждом чате (не более 8 000 символов).",
    "saved": "Сохранено.",
    "change_password": "Сменить пароль",
    "current_password": "Текущий пароль",
    "new_password": "Новый пароль",
    "wrong_password": "Текущий пароль неверен.",
    "password_changed": "Пароль изменён. Другие сеансы завершены.",
    "account": "Аккаунт",
    "signed_in_as": "Вы вошли как {name}",
    "open_menu": "Меню",
    "error_generic": "Что-то пошло не так. Попробуйте ещё раз.",
    "error_rate_limited": "Gemini сейчас ограничивает число запросов. Попробуйте чуть позже.",
    "error_overloaded": "Gemini временно недоступен. Попробуйте ещё раз чуть позже.",
    "error_auth": (
        "Ключ Gemini API на сервере отклонён. Попросите администратора проверить GOOGLE_API_KEY."
    ),
    "error_model_not_found": (
        "Модель Gemini не найдена. Попросите администратора проверить список моделей."
    ),
    "error_bad_request": "Gemini не смог обработать этот запрос.",
    "error_blocked": "Gemini заблокировал это сообщение и не ответил. Попробуйте сказать иначе.",
    "error_timeout": "Gemini перестал отвечать. Попробуйте ещё раз.",
    "error_connection": "Связь с Gemini прервалась. Попробуйте ещё раз.",
    "error_truncated": "Ответ оборвался раньше, чем Gemini его закончил.",
    "error_unknown": "Что-то пошло не так при обращении к модели. Попробуйте позже.",
    "error_safety": "Фильтры безопасности Gemini остановили этот ответ.",
    "error_recitation": "Gemini остановил ответ: он повторял защищённый авторским правом текст.",
    "error_unexpected_finish": "Gemini неожиданно прервал ответ.",
    "error_empty": "Модель вернула пустой ответ. Попробуйте ещё раз.",
    "error_internal": "Что-то пошло не так при создании ответа.",
    "disclaimer": "Ответы могут быть ошибочными: проверяйте важное.",
    "server_restarting": "Сервер перезапускается. Попробуйте через минуту.",
    "unavailable": "Войти сейчас не получается. Попробуйте через минуту.",
    "too_fast": "Вы отправляете сообщения слишком часто. Повторите через {seconds} с.",
    "web_search_on": (
        "Поиск в интернете включён: ответы могут искать в Google и ссылаться на источники"
    ),
    "web_search_off": "Поиск в интернете выключен: нажмите, чтобы ответы искали в Google",
    "searching": "Ищу…",
    "sources": "Источники",
    "searched_for": "Запросы:",
    "search_suggestions": "Подсказки Google Поиска",
}

EN.update(i18n_team.EN)  # the team pages' words live in a module of their own
RU.update(i18n_team.RU)
EN.update(i18n_files.EN)  # and why a file was refused
RU.update(i18n_files.RU)

STRINGS: Final[dict[str, dict[str, str]]] = {"en": EN, "ru": RU}
LANGUAGE_NAMES: Final = {"en": "English", "ru": "Русский"}


def t(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang`` (English when missing), with ``values`` filled in."""
    text = STRINGS.get(lang, EN).get(key) or EN[key]
    return text.format(**values) if values else text


def error_text(lang: str, code: str | None, stored: str | None) -> str:
    """Why an answer failed, for a reader of ``lang``.

    The stored text is English and may carry details (a model's name, Gemini's own words):
    English readers get it as stored, others the translation of its code; the stored text
    also serves when the code is unknown (as for answers saved before codes existed).
    """
    key = f"error_{code}"
    if code and key in EN and (lang != DEFAULT or not stored):
        return t(lang, key)
    return stored or t(lang, "error_generic")


def from_accept_language(header: str | None) -> str:
    """The first of our languages the browser asks for (by q-weight), else English."""
    best, best_q = DEFAULT, -1.0
    for index, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        if code not in LANGUAGES:
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        q -= index * 1e-6  # earlier entries win ties
        if q > best_q:
            best, best_q = code, q
    return best


def choose(setting: str | None, accept_language: str | None) -> str:
    """The user's own choice when made, otherwise the browser's."""
    if setting in LANGUAGES:
        return setting
    return from_accept_language(accept_language)
