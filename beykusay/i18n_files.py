"""Why an attached file was refused, in the reader's language.

The server's refusals (beykusay.files.sniff.Refused, services.files.FileRefused) carry
a ``reason`` and its ``values`` beside the English message the API answers; the
composer's chips show them through these words instead (``file_refused_<reason>``).
"""

from __future__ import annotations

from beykusay.files.sniff import ACCEPTED

EN: dict[str, str] = {
    "file_accepted": ACCEPTED,
    "file_refused_too_large": "The file is too large: at most {mib} MiB.",
    "file_refused_empty": "The file is empty.",
    "file_refused_form": "The upload could not be read. Please try again.",
    "file_refused_markup": "HTML, SVG and XML markup files are not accepted. Accepted: {accepted}.",
    "file_refused_type": "This type of file is not accepted. Accepted: {accepted}.",
    "file_refused_not_an_image": "The file is not a valid image. Accepted: {accepted}.",
    "file_refused_image_damaged": ("The image could not be read (damaged?). Accepted: {accepted}."),
    "file_refused_image_pixels": (
        "The image is {width} x {height} pixels; at most {max} pixels are accepted."
    ),
    "file_refused_image_bomb": "The image has too many pixels (at most {max}).",
    "file_refused_mismatch": (
        "The file's contents ({mime_type}) do not match its name or declared type. "
        "Accepted: {accepted}."
    ),
    "file_refused_quota": (
        "Your storage is full: this file would take you past your {quota} bytes. "
        "Delete some files and try again."
    ),
}

RU: dict[str, str] = {
    "file_accepted": (
        "изображения (PNG, JPEG, WebP, GIF), PDF, аудио (MP3, WAV, OGG/Opus, FLAC) "
        "и текстовые файлы в UTF-8 (.txt, .md, .csv, .json, исходный код…)"
    ),
    "file_refused_too_large": "Файл слишком большой: не больше {mib} МиБ.",
    "file_refused_empty": "Файл пустой.",
    "file_refused_form": "Не удалось прочитать загрузку. Попробуйте ещё раз.",
    "file_refused_markup": (
        "Файлы с разметкой HTML, SVG и XML не принимаются. Принимаются: {accepted}."
    ),
    "file_refused_type": "Файлы этого типа не принимаются. Принимаются: {accepted}.",
    "file_refused_not_an_image": (
        "Файл не является корректным изображением. Принимаются: {accepted}."
    ),
    "file_refused_image_damaged": (
        "Не удалось прочитать изображение (повреждено?). Принимаются: {accepted}."
    ),
    "file_refused_image_pixels": (
        "Изображение {width} × {height} пикселей; принимается не больше {max} пикселей."
    ),
    "file_refused_image_bomb": "В изображении слишком много пикселей (не больше {max}).",
    "file_refused_mismatch": (
        "Содержимое файла ({mime_type}) не соответствует его имени или заявленному типу. "
        "Принимаются: {accepted}."
    ),
    "file_refused_quota": (
        "Хранилище заполнено: с этим файлом будет превышен ваш лимит в {quota} байт. "
        "Удалите часть файлов и попробуйте ещё раз."
    ),
}
