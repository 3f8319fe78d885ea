"""Every string the bot shows, in Russian (the default) and English.

Strings are plain text: render.py escapes them and adds the formatting. Fields with
``{placeholders}`` are filled in by render.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Texts:
    # The language_code set_my_commands registers these commands for; None is the default.
    language_code: str | None
    commands: tuple[tuple[str, str], ...]
    intro: str
    how_to_ask: str
    in_groups: str  # {username}
    inline_mode: str  # {username}
    examples_title: str
    examples: tuple[str, ...]
    sources_title: str
    other_answers: str
    whole_answer: str
    source: str  # {title}
    position: str  # {n} {m}
    no_answer: str  # {query}
    did_you_mean: str
    others_title: str  # {query}
    no_others: str
    not_text: str
    empty: str
    too_long: str  # {limit}
    edited: str
    unknown_command: str
    stale: str
    error: str
    inline_hint: str
    slow_down: str  # {limit}
    slow_down_button: str  # an inline-mode button: at most 64 characters
    private_bot: str
    not_allowed: str
    reloading: str
    reloaded: str  # {paragraphs} {built_at}
    reload_failed: str  # {error}
    # {uptime} {answered} {uncertain} {refused} {limited} {paragraphs} {built_at} {build_seconds}
    # {reloads} {failed_reloads}
    stats: str


RUSSIAN = Texts(
    language_code=None,
    commands=(
        ("start", "Что я знаю и примеры вопросов"),
        ("help", "Как задавать вопросы"),
        ("about", "Источники ответов"),
    ),
    intro="Я отвечаю на вопросы словами министра — абзацем из интервью, самым близким "
    "к вашему вопросу по смыслу. Я знаю:",
    how_to_ask="Задайте вопрос своими словами — по-русски, по-английски или по-казахски. "
    "Под ответом есть кнопки: «Другие ответы» — следующие по близости абзацы, "
    "«Весь ответ» — весь ответ министра целиком.",
    in_groups="В группе упомяните меня ({username}) в вопросе или ответьте на моё сообщение.",
    inline_mode="В любом чате можно написать «{username} вопрос» и выбрать ответ из списка.",
    examples_title="Например:",
    examples=(
        "Когда будет подписан договор с Россией?",
        "Какие страны Казахстан считает потенциальными инвесторами?",
        "Что Казахстан предлагает китайским партнёрам?",
        "Сходит ли Казахстан с российской орбиты?",
    ),
    sources_title="Источники",
    other_answers="Другие ответы",
    whole_answer="Весь ответ",
    source="Источник: {title}",
    position="Абзац {n} из {m}",
    no_answer="В интервью нет близкого ответа на вопрос «{query}».",
    did_you_mean="Возможно, вас интересует один из вопросов интервьюера:",
    others_title="Другие ответы на вопрос «{query}»:",
    no_others="Других ответов нет.",
    not_text="Я понимаю только текст. Напишите вопрос словами.",
    empty="Вопрос пустой. Напишите его словами.",
    too_long="Вопрос слишком длинный: не больше {limit} символов. Сформулируйте короче.",
    edited="Исправленные сообщения я не перечитываю. Отправьте вопрос заново.",
    unknown_command="Такой команды нет. Список команд — /help.",
    stale="Этот ответ больше недоступен. Задайте вопрос заново.",
    error="Что-то пошло не так. Попробуйте ещё раз чуть позже.",
    inline_hint="Как задавать вопросы",
    slow_down="Слишком много вопросов: не больше {limit} в минуту. Подождите немного, "
    "и я снова отвечу.",
    slow_down_button="Слишком много вопросов — подождите минуту",
    private_bot="Это закрытый бот: он отвечает только в чатах, для которых его настроили.",
    not_allowed="Эта команда только для администраторов бота.",
    reloading="Перестраиваю индекс по корпусу…",
    reloaded="Индекс обновлён: {paragraphs} абзацев, собран {built_at}.",
    reload_failed="Индекс не обновлён, работает прежний. Ошибка: {error}",
    stats="Работаю {uptime}\n"
    "Вопросов: с ответом {answered}, неуверенных {uncertain}, без ответа {refused}, "
    "отклонено по лимиту {limited}\n"
    "Индекс: {paragraphs} абзацев, собран {built_at} за {build_seconds} с\n"
    "Перезагрузок индекса: {reloads}, неудачных: {failed_reloads}",
)

ENGLISH = Texts(
    language_code="en",
    commands=(
        ("start", "What I know and example questions"),
        ("help", "How to ask"),
        ("about", "Where the answers come from"),
    ),
    intro="I answer questions in the minister's own words: with the paragraph of the "
    "interview closest in meaning to your question. I know:",
    how_to_ask="Ask in your own words, in Russian, English or Kazakh. Under an answer, "
    "“Other answers” shows the next closest paragraphs and “Whole answer” the "
    "minister's entire answer.",
    in_groups="In a group, mention me ({username}) in your question or reply to my message.",
    inline_mode="In any chat, type “{username} your question” and pick an answer from the list.",
    examples_title="For example:",
    examples=(
        "When will Kazakhstan and Russia sign the new treaty?",
        "Which countries are seen as potential investors?",
        "What is the Kazakh foreign ministry doing with China?",
        "Is Kazakhstan leaving Russia's orbit in military cooperation?",
    ),
    sources_title="Sources",
    other_answers="Other answers",
    whole_answer="Whole answer",
    source="Source: {title}",
    position="Paragraph {n} of {m}",
    no_answer="The interview has no close answer to “{query}”.",
    did_you_mean="Perhaps you mean one of the interviewer's questions:",
    others_title="Other answers to “{query}”:",
    no_others="There are no other answers.",
    not_text="I only understand text. Please type your question.",
    empty="The question is empty. Please type it in words.",
    too_long="The question is too long: at most {limit} characters, please.",
    edited="I don't reread edited messages. Please send the question again.",
    unknown_command="There is no such command. See /help.",
    stale="This answer is no longer available. Please ask again.",
    error="Something went wrong. Please try again a little later.",
    inline_hint="How to ask",
    slow_down="Too many questions: at most {limit} a minute. Wait a little and I will "
    "answer again.",
    slow_down_button="Too many questions: please wait a minute",
    private_bot="This is a private bot: it only answers in the chats it was set up for.",
    not_allowed="This command is for the bot's administrators only.",
    reloading="Rebuilding the index from the corpus…",
    reloaded="Index reloaded: {paragraphs} paragraphs, built {built_at}.",
    reload_failed="The index was not reloaded; the previous one keeps serving. Error: {error}",
    stats="Up for {uptime}\n"
    "Questions: answered {answered}, uncertain {uncertain}, not covered {refused}, "
    "over the rate limit {limited}\n"
    "Index: {paragraphs} paragraphs, built {built_at} in {build_seconds} s\n"
    "Index reloads: {reloads}, failed: {failed_reloads}",
)

LANGUAGES = (RUSSIAN, ENGLISH)


def texts_for(language_code: str | None) -> Texts:
    """English for users whose Telegram language is English, Russian for everyone else."""
    if language_code and language_code.lower().startswith("en"):
        return ENGLISH
    return RUSSIAN
