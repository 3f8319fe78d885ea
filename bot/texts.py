"""Every string the bot shows, in Russian (the default), English and Kazakh.

Strings are plain text: render.py escapes them and adds the formatting. Fields with
``{placeholders}`` are filled in by render.py. The interview itself stays in Russian: there
is no translation, so English and Kazakh replies say so (`language_note`).
"""

from __future__ import annotations

from dataclasses import dataclass

from records import Reason


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
    # What each interview said on a question (/timeline, "Earlier statements").
    timeline_title: str  # {query}
    timeline_none: str  # {query}
    date_not_recorded: str
    answers_it: str  # an interview's statement answers the question
    may_answer_it: str  # ... or may
    newest_statement: str  # {n}: under an answer, the newest of n statements
    earlier_statements: str  # a button
    timeline_usage: str
    paragraph_count: str  # {n}: how many answer paragraphs an interview has
    more_sources: str  # {n}: the older interviews the list leaves out
    # Buttons.
    other_answers: str
    whole_answer: str
    whole_answer_of: str  # {label}: under closest passages, one per interview answer
    cite: str
    # Who asks and who answers, when the sidecar does not name them.
    question: str
    question_by: str  # {asker}: the interviewer or the outlet
    answer: str
    position: str  # {n} {m}
    source: str  # {source}: the citation (speaker, title, outlet, date, link) and ids
    # Once in every reply that shows the interview: "" when the interface is in its language.
    language_note: str
    # The three decisions.
    uncertain: str
    not_covered: str  # {query}
    not_mentioned: str  # {terms}: the question's words the interview never mentions
    term: str  # {term}: one of them, or a sentence of the interview, in quotes
    nearest_questions: str
    others_title: str  # {query}
    no_others: str
    not_covered_notice: str  # a button's notice, when its question is not covered
    # What is not a question to search: nothing in it, small talk, the source itself.
    no_content: str  # then the examples
    greeting: str  # then the examples
    welcome: str  # to thanks
    goodbye: str
    small_talk: str  # what the bot is; then the examples
    about_title: str  # heads what is known of each interview
    about_fields: tuple[tuple[str, str], ...]  # (Document field, its name), in order
    not_recorded: str  # a field the source does not state
    # Feedback.
    thanks: str
    downvoted: str  # {query}: the other answers offered after 👎
    # Inline mode.
    inline_closest: str  # {label}: a closest passage's title
    closest_passage: str  # {query}: the caveat over a closest passage posted inline
    inline_not_covered: str  # a button over no results: at most 64 characters
    inline_hint: str
    # Notices.
    not_text: str
    empty: str
    too_long: str  # {limit}
    edited: str
    unknown_command: str
    stale: str
    error: str
    slow_down: str  # {limit} {seconds}
    slow_down_presses: str  # {limit} {seconds}; a toast: at most 200 characters
    slow_down_button: str  # an inline-mode button: at most 64 characters
    private_bot: str
    not_allowed: str
    # {days} {total} {answered} {uncertain} {not_covered} {up} {down}
    report: str
    report_groups: str  # heads the unanswered questions, grouped by meaning
    report_failed: str  # {error}
    reloading: str
    reloading_published: str  # a replica's: it loads the build published last, never builds
    reloaded: str  # {paragraphs} {built_at}
    reload_failed: str  # {error}
    # {uptime} {answered} {uncertain} {not_covered} {limited} {paragraphs} {built_at}
    # {build_seconds} {reloads} {failed_reloads}
    stats: str
    # Adding an interview (administrators): a file sent to the bot, or /import URL.
    upload_preview: str  # heads the preview
    upload_title: str  # {value}
    upload_date: str  # {value}
    upload_interviewee: str  # {value}
    upload_interviewer: str  # {value}
    upload_outlet: str  # {value}
    upload_source_url: str  # {value}
    upload_unknown: str  # the value of a field the source does not state
    upload_counts: str  # {questions} {paragraphs}
    upload_heading: str  # {heading}: a section heading of the interview
    upload_question: str  # {number} {question} {paragraphs}
    upload_publish: str  # a button
    upload_cancel: str  # a button
    upload_publishing: str
    upload_published: str  # {name} {paragraphs}: paragraphs served now
    upload_cancelled: str
    upload_was_published: str  # a button's notice: another press published it
    upload_was_cancelled: str  # a button's notice
    upload_was_failed: str  # a button's notice
    upload_busy: str  # a button's notice: another press is publishing it now
    upload_gone: str  # a button's notice: the upload is no longer kept
    upload_duplicate: str  # {name}: the corpus file it is already in
    upload_refused: str  # {reason}: the importer's, in English
    upload_too_large: str  # {size} {limit}, in MB
    upload_wrong_type: str  # {reason}: the importer's, in English
    upload_failed: str  # {error}
    upload_for_admins: str  # a file sent by anyone else
    import_usage: str
    # The question log under /stats: {state} {written} {dropped} {failed} {queued}
    stats_log: str
    # Its state in words: off, writing, failing, closed.
    log_states: tuple[tuple[str, str], ...]

    def said_to(self, reason: Reason | None) -> tuple[str, bool]:
        """What to say to nothing to search or to small talk, and whether the examples
        follow (not after thanks or goodbye)."""
        said = {
            Reason.NO_CONTENT: self.no_content,
            Reason.GREETING: self.greeting,
            Reason.THANKS: self.welcome,
            Reason.GOODBYE: self.goodbye,
        }.get(reason or Reason.SMALL_TALK, self.small_talk)
        return said, reason not in (Reason.THANKS, Reason.GOODBYE)


RUSSIAN = Texts(
    language_code=None,
    commands=(
        ("start", "Что я знаю и примеры вопросов"),
        ("help", "Как задавать вопросы"),
        ("about", "Источники ответов"),
        ("timeline", "Что говорилось по вопросу, от ранних интервью к новым"),
    ),
    intro="Я отвечаю на вопросы словами министра — абзацем из интервью, самым близким "
    "к вашему вопросу по смыслу. Я знаю:",
    how_to_ask="Задайте вопрос своими словами — по-русски, по-английски или по-казахски. "
    "Под ответом есть кнопки: «Другие ответы» — следующие по близости абзацы, "
    "«Весь ответ» — весь ответ министра целиком, «Цитата» — готовая цитата с источником, "
    "👍 и 👎 — подошёл ли ответ.",
    in_groups="В группе упомяните меня ({username}) в вопросе или ответьте на моё сообщение.",
    inline_mode="В любом чате можно написать «{username} вопрос» и выбрать ответ из списка.",
    examples_title="Например:",
    examples=(
        "Где пройдёт следующий форум приграничного сотрудничества с Россией?",
        "Зачем Казахстану собственные оборонные предприятия?",
        "Что Казахстан предлагает китайским партнёрам?",
        "Сходит ли Казахстан с российской орбиты?",
    ),
    sources_title="Источники",
    timeline_title="Что говорилось в интервью на вопрос «{query}», от ранних к новым:",
    timeline_none="Ни одно интервью не отвечает на вопрос «{query}».",
    date_not_recorded="дата не указана",
    answers_it="отвечает",
    may_answer_it="возможно, отвечает",
    newest_statement="Это самое новое из высказываний на этот вопрос ({n}).",
    earlier_statements="Более ранние высказывания",
    timeline_usage="Напишите вопрос после команды: /timeline Когда подпишут договор с Россией?",
    paragraph_count="абзацев: {n}",
    more_sources="…и ещё {n} (более ранние)",
    other_answers="Другие ответы",
    whole_answer="Весь ответ",
    whole_answer_of="Весь ответ: {label}",
    cite="Цитата",
    question="Вопрос",
    question_by="Вопрос ({asker})",
    answer="Ответ",
    position="абзац {n} из {m}",
    source="Источник: {source}",
    language_note="",
    uncertain="Ближайшие фрагменты интервью; возможно, оно не отвечает на этот вопрос прямо.",
    not_covered="В интервью нет ответа на вопрос «{query}».",
    not_mentioned="В интервью нет упоминаний: {terms}.",
    term="«{term}»",
    nearest_questions="Вопросы интервьюера на близкие темы:",
    others_title="Другие ответы на вопрос «{query}»:",
    no_others="Других ответов нет.",
    not_covered_notice="В интервью нет ответа на этот вопрос.",
    no_content="Напишите вопрос словами — я найду ответ министра в интервью. Например:",
    greeting="Здравствуйте! Я отвечаю на вопросы словами министра — абзацем из интервью. Например:",
    welcome="Пожалуйста! Спрашивайте ещё.",
    goodbye="До свидания! Возвращайтесь с вопросами.",
    small_talk="Я бот: отвечаю на вопросы словами министра — абзацем из интервью, самым "
    "близким по смыслу, и прямо говорю, когда интервью на вопрос не отвечает. Например:",
    about_title="Что известно об интервью",
    about_fields=(
        ("interviewee", "Отвечает"),
        ("interviewer", "Спрашивает"),
        ("outlet", "Издание"),
        ("date", "Дата публикации"),
        ("source_url", "Ссылка"),
    ),
    not_recorded="не указано в источнике",
    thanks="Спасибо за отзыв!",
    downvoted="Возможно, подойдёт другой ответ на вопрос «{query}»:",
    inline_closest="Близкий фрагмент: {label}",
    closest_passage="Ближайший фрагмент интервью к вопросу «{query}»; возможно, это не прямой "
    "ответ.",
    inline_not_covered="В интервью нет ответа на этот вопрос",
    inline_hint="Как задавать вопросы",
    not_text="Я понимаю только текст. Напишите вопрос словами.",
    empty="Вопрос пустой. Напишите его словами.",
    too_long="Вопрос слишком длинный: не больше {limit} символов. Сформулируйте короче.",
    edited="Исправленные сообщения я не перечитываю. Отправьте вопрос заново.",
    unknown_command="Такой команды нет. Список команд — /help.",
    stale="Этот ответ больше недоступен. Задайте вопрос заново.",
    error="Что-то пошло не так. Попробуйте ещё раз чуть позже.",
    slow_down="Слишком много вопросов: не больше {limit} в минуту. Следующий вопрос можно "
    "задать через {seconds} с.",
    slow_down_presses="Слишком много нажатий: не больше {limit} в минуту. Нажмите снова "
    "через {seconds} с.",
    slow_down_button="Слишком много вопросов — подождите минуту",
    private_bot="Это закрытый бот: он отвечает только в чатах, для которых его настроили.",
    not_allowed="Эта команда только для администраторов бота.",
    report="За {days} дн.: вопросов {total} — с ответом {answered}, неуверенных {uncertain}, "
    "без ответа {not_covered}. 👍 {up}, 👎 {down}.",
    report_groups="Чего нет в интервью (похожие вопросы вместе):",
    report_failed="Отчёта нет: {error}",
    reloading="Перестраиваю индекс по корпусу…",
    reloading_published="Загружаю последний опубликованный индекс…",
    reloaded="Индекс обновлён: {paragraphs} абзацев, собран {built_at}.",
    reload_failed="Индекс не обновлён, работает прежний. Ошибка: {error}",
    stats="Работаю {uptime}\n"
    "Вопросов: с ответом {answered}, неуверенных {uncertain}, без ответа {not_covered}, "
    "отклонено по лимиту {limited}\n"
    "Индекс: {paragraphs} абзацев, собран {built_at} за {build_seconds} с\n"
    "Перезагрузок индекса: {reloads}, неудачных: {failed_reloads}",
    upload_preview="Новое интервью. Проверьте и опубликуйте:",
    upload_title="Название: {value}",
    upload_date="Дата: {value}",
    upload_interviewee="Отвечает: {value}",
    upload_interviewer="Спрашивает: {value}",
    upload_outlet="Издание: {value}",
    upload_source_url="Ссылка: {value}",
    upload_unknown="нет в источнике",
    upload_counts="Вопросов: {questions}, абзацев ответов: {paragraphs}.",
    upload_heading="Раздел: {heading}",
    upload_question="{number}. {question} — абзацев: {paragraphs}",
    upload_publish="Опубликовать",
    upload_cancel="Отмена",
    upload_publishing="Публикую: записываю файлы и перестраиваю индекс…",
    upload_published="Опубликовано: {name}. Теперь в индексе абзацев: {paragraphs}.",
    upload_cancelled="Отменено, ничего не опубликовано.",
    upload_was_published="Это интервью уже опубликовано.",
    upload_was_cancelled="Публикация этого интервью отменена.",
    upload_was_failed="Это интервью не опубликовано. Пришлите его ещё раз.",
    upload_busy="Это интервью уже публикуется.",
    upload_gone="Этого файла больше нет. Пришлите его ещё раз.",
    upload_duplicate="Это интервью уже есть в корпусе ({name}). Ничего не добавлено.",
    upload_refused="Не добавлено: {reason}",
    upload_too_large="Файл слишком большой: {size} МБ, можно не больше {limit} МБ.",
    upload_wrong_type="Этот файл не подходит ({reason}). Пришлите Word (.docx), PDF, "
    "веб-страницу (.html) или текст (.txt).",
    upload_failed="Не опубликовано, работает прежний индекс. Ошибка: {error}",
    upload_for_admins="Добавлять интервью могут только администраторы бота. Задайте вопрос "
    "словами.",
    import_usage="Напишите после команды адрес страницы: /import https://…",
    stats_log="Журнал вопросов: {state}; записано {written}, отброшено {dropped}, "
    "потеряно при записи {failed}, в очереди {queued}",
    log_states=(
        ("off", "выключен"),
        ("writing", "пишется"),
        ("failing", "база недоступна, записи теряются"),
        ("closed", "закрыт"),
    ),
)

ENGLISH = Texts(
    language_code="en",
    commands=(
        ("start", "What I know and example questions"),
        ("help", "How to ask"),
        ("about", "Where the answers come from"),
        ("timeline", "What each interview said on a question, oldest first"),
    ),
    intro="I answer questions in the minister's own words: with the paragraph of the "
    "interview closest in meaning to your question. The interview is in Russian and is "
    "quoted as it is, untranslated. I know:",
    how_to_ask="Ask in your own words, in Russian, English or Kazakh. Under an answer, "
    "“Other answers” shows the next closest paragraphs, “Whole answer” the minister's "
    "entire answer, “Cite” a ready quotation with its source, and 👍 or 👎 tells me "
    "whether it answered your question.",
    in_groups="In a group, mention me ({username}) in your question or reply to my message.",
    inline_mode="In any chat, type “{username} your question” and pick an answer from the list.",
    examples_title="For example:",
    examples=(
        "Where will the next cross-border forum with Russia be held?",
        "Why does Kazakhstan build its own defence industry?",
        "Why does transit between China and Europe matter to Kazakhstan?",
        "Is Kazakhstan leaving Russia's orbit in military cooperation?",
    ),
    sources_title="Sources",
    timeline_title="What the interviews said on “{query}”, oldest first:",
    timeline_none="No interview answers “{query}”.",
    date_not_recorded="date not recorded",
    answers_it="answers it",
    may_answer_it="may answer it",
    newest_statement="This is the newest of {n} statements on this question.",
    earlier_statements="Earlier statements",
    timeline_usage="Write the question after the command: "
    "/timeline When will the treaty be signed?",
    paragraph_count="paragraphs: {n}",
    more_sources="…and {n} more (older)",
    other_answers="Other answers",
    whole_answer="Whole answer",
    whole_answer_of="Whole answer: {label}",
    cite="Cite",
    question="Question",
    question_by="Question ({asker})",
    answer="Answer",
    position="paragraph {n} of {m}",
    source="Source: {source}",
    language_note="The interview is in Russian.",
    uncertain="The closest passages of the interview; it may not answer this question directly.",
    not_covered="The interview does not answer “{query}”.",
    not_mentioned="The interview does not mention {terms}.",
    term="“{term}”",
    nearest_questions="The interviewer's questions on nearby topics:",
    others_title="Other answers to “{query}”:",
    no_others="There are no other answers.",
    not_covered_notice="The interview does not answer this question.",
    no_content="Type a question in words and I will find the minister's answer in the "
    "interview. For example:",
    greeting="Hello! I answer questions in the minister's own words, with a paragraph of the "
    "interview. For example:",
    welcome="You're welcome! Ask me more.",
    goodbye="Goodbye! Come back with more questions.",
    small_talk="I'm a bot: I answer questions in the minister's own words, with the paragraph "
    "of the interview closest in meaning, and say plainly when the interview does not "
    "answer. For example:",
    about_title="What is known of the interview",
    about_fields=(
        ("interviewee", "Answered by"),
        ("interviewer", "Asked by"),
        ("outlet", "Published in"),
        ("date", "Date published"),
        ("source_url", "Link"),
    ),
    not_recorded="not recorded in the source",
    thanks="Thanks for your feedback!",
    downvoted="Perhaps another answer fits “{query}”:",
    inline_closest="Closest passage: {label}",
    closest_passage="The passage of the interview closest to “{query}”; it may not answer "
    "it directly.",
    inline_not_covered="The interview does not answer this question",
    inline_hint="How to ask",
    not_text="I only understand text. Please type your question.",
    empty="The question is empty. Please type it in words.",
    too_long="The question is too long: at most {limit} characters, please.",
    edited="I don't reread edited messages. Please send the question again.",
    unknown_command="There is no such command. See /help.",
    stale="This answer is no longer available. Please ask again.",
    error="Something went wrong. Please try again a little later.",
    slow_down="Too many questions: at most {limit} a minute. You can ask again in {seconds} s.",
    slow_down_presses="Too many button presses: at most {limit} a minute. Press again in "
    "{seconds} s.",
    slow_down_button="Too many questions: please wait a minute",
    private_bot="This is a private bot: it only answers in the chats it was set up for.",
    not_allowed="This command is for the bot's administrators only.",
    report="Last {days} days: {total} questions — answered {answered}, uncertain {uncertain}, "
    "not covered {not_covered}. 👍 {up}, 👎 {down}.",
    report_groups="What the interview lacks (similar questions together):",
    report_failed="No report: {error}",
    reloading="Rebuilding the index from the corpus…",
    reloading_published="Loading the index published last…",
    reloaded="Index reloaded: {paragraphs} paragraphs, built {built_at}.",
    reload_failed="The index was not reloaded; the previous one keeps serving. Error: {error}",
    stats="Up for {uptime}\n"
    "Questions: answered {answered}, uncertain {uncertain}, not covered {not_covered}, "
    "over the rate limit {limited}\n"
    "Index: {paragraphs} paragraphs, built {built_at} in {build_seconds} s\n"
    "Index reloads: {reloads}, failed: {failed_reloads}",
    upload_preview="A new interview. Check it, then publish:",
    upload_title="Title: {value}",
    upload_date="Date: {value}",
    upload_interviewee="Answers: {value}",
    upload_interviewer="Asks: {value}",
    upload_outlet="Outlet: {value}",
    upload_source_url="Link: {value}",
    upload_unknown="not in the source",
    upload_counts="Questions: {questions}, answer paragraphs: {paragraphs}.",
    upload_heading="Section: {heading}",
    upload_question="{number}. {question} — paragraphs: {paragraphs}",
    upload_publish="Publish",
    upload_cancel="Cancel",
    upload_publishing="Publishing: writing the files and rebuilding the index…",
    upload_published="Published: {name}. The index now serves {paragraphs} paragraphs.",
    upload_cancelled="Cancelled; nothing was published.",
    upload_was_published="This interview is published already.",
    upload_was_cancelled="Publishing this interview was cancelled.",
    upload_was_failed="This interview was not published. Please send it again.",
    upload_busy="This interview is being published.",
    upload_gone="This file is no longer kept. Please send it again.",
    upload_duplicate="The corpus has this interview already ({name}). Nothing was added.",
    upload_refused="Not added: {reason}",
    upload_too_large="The file is too large: {size} MB; at most {limit} MB, please.",
    upload_wrong_type="This file will not do ({reason}). Send a Word file (.docx), a PDF, "
    "a web page (.html) or text (.txt).",
    upload_failed="Not published; the previous index keeps serving. Error: {error}",
    upload_for_admins="Only the bot's administrators can add interviews. Please type your "
    "question in words.",
    import_usage="Write the page's address after the command: /import https://…",
    stats_log="Question log: {state}; written {written}, dropped {dropped}, "
    "failed {failed}, queued {queued}",
    log_states=(
        ("off", "off"),
        ("writing", "writing"),
        ("failing", "the database cannot be written, records are lost"),
        ("closed", "closed"),
    ),
)

KAZAKH = Texts(
    language_code="kk",
    commands=(
        ("start", "Не білемін және сұрақ үлгілері"),
        ("help", "Сұрақты қалай қою керек"),
        ("about", "Жауаптардың дереккөздері"),
        ("timeline", "Сұрақ бойынша сұхбаттарда айтылғандар, ертеректен жаңаға"),
    ),
    intro="Мен сұрақтарға министрдің өз сөзімен жауап беремін: сұхбаттан сұрағыңызға "
    "мағынасы жағынан ең жақын абзацты ұсынамын. Сұхбат орыс тілінде, аудармасыз "
    "келтіріледі. Менің білетінім:",
    how_to_ask="Сұрағыңызды өз сөзіңізбен қазақша, орысша немесе ағылшынша жазыңыз. "
    "Жауаптың астында батырмалар бар: «Басқа жауаптар» — мағынасы жақын келесі абзацтар, "
    "«Толық жауап» — министрдің жауабы толығымен, «Дәйексөз» — дереккөзі көрсетілген "
    "дайын дәйексөз, 👍 және 👎 — жауап сұрағыңызға сай келді ме.",
    in_groups="Топта сұрағыңызда мені ({username}) атаңыз немесе менің хабарламама жауап беріңіз.",
    inline_mode="Кез келген чатта «{username} сұрағыңыз» деп жазып, тізімнен жауапты таңдаңыз.",
    examples_title="Мысалы:",
    examples=(
        "Ресеймен шекаралас ынтымақтастықтың келесі форумы қай қалада өтеді?",
        "Астанада KADEX көрмесі неше рет өтті?",
        "Қазақстан қытайлық серіктестерге не ұсынады?",
        "Қазақстан Ресейдің саяси орбитасынан шығып бара ма?",
    ),
    sources_title="Дереккөздер",
    timeline_title="«{query}» сұрағына сұхбаттарда не айтылды, ертеректен жаңаға қарай:",
    timeline_none="«{query}» сұрағына бірде-бір сұхбат жауап бермейді.",
    date_not_recorded="күні көрсетілмеген",
    answers_it="жауап береді",
    may_answer_it="жауап беруі мүмкін",
    newest_statement="Бұл — осы сұрақ бойынша {n} пікірдің ең жаңасы.",
    earlier_statements="Ертеректегі пікірлер",
    timeline_usage="Сұрақты командадан кейін жазыңыз: /timeline Шартқа қашан қол қойылады?",
    paragraph_count="абзац саны: {n}",
    more_sources="…тағы {n} (ертеректегі)",
    other_answers="Басқа жауаптар",
    whole_answer="Толық жауап",
    whole_answer_of="Толық жауап: {label}",
    cite="Дәйексөз",
    question="Сұрақ",
    question_by="Сұрақ ({asker})",
    answer="Жауап",
    position="абзац {n}/{m}",
    source="Дереккөз: {source}",
    language_note="Сұхбат орыс тілінде.",
    uncertain="Сұхбаттың ең жақын үзінділері; онда бұл сұраққа тікелей жауап болмауы мүмкін.",
    not_covered="Сұхбатта «{query}» деген сұраққа жауап жоқ.",
    not_mentioned="Сұхбатта мыналар айтылмайды: {terms}.",
    term="«{term}»",
    nearest_questions="Сұхбат алушының жақын тақырыптағы сұрақтары:",
    others_title="«{query}» сұрағына басқа жауаптар:",
    no_others="Басқа жауап жоқ.",
    not_covered_notice="Сұхбатта бұл сұраққа жауап жоқ.",
    no_content="Сұрағыңызды сөзбен жазыңыз — мен сұхбаттан министрдің жауабын табамын. Мысалы:",
    greeting="Сәлеметсіз бе! Мен сұрақтарға министрдің өз сөзімен — сұхбаттағы абзацпен "
    "жауап беремін. Мысалы:",
    welcome="Оқасы жоқ! Тағы сұраңыз.",
    goodbye="Сау болыңыз! Сұрақтарыңызбен қайта келіңіз.",
    small_talk="Мен ботпын: сұрақтарға министрдің өз сөзімен — сұхбаттағы мағынасы ең жақын "
    "абзацпен жауап беремін, ал сұхбатта жауап болмаса, соны тура айтамын. Мысалы:",
    about_title="Сұхбат туралы белгілісі",
    about_fields=(
        ("interviewee", "Жауап берген"),
        ("interviewer", "Сұрақ қойған"),
        ("outlet", "Басылым"),
        ("date", "Жарияланған күні"),
        ("source_url", "Сілтеме"),
    ),
    not_recorded="дереккөзде көрсетілмеген",
    thanks="Пікіріңізге рақмет!",
    downvoted="«{query}» сұрағына басқа жауап сай келуі мүмкін:",
    inline_closest="Жақын үзінді: {label}",
    closest_passage="Сұхбаттың «{query}» сұрағына ең жақын үзіндісі; бұл тікелей жауап "
    "болмауы мүмкін.",
    inline_not_covered="Сұхбатта бұл сұраққа жауап жоқ",
    inline_hint="Сұрақты қалай қою керек",
    not_text="Мен тек мәтінді түсінемін. Сұрағыңызды сөзбен жазыңыз.",
    empty="Сұрақ бос. Оны сөзбен жазыңыз.",
    too_long="Сұрақ тым ұзын: ең көбі {limit} таңба болуы керек. Қысқарақ жазыңыз.",
    edited="Түзетілген хабарламаларды қайта оқымаймын. Сұрағыңызды қайта жіберіңіз.",
    unknown_command="Мұндай команда жоқ. Командалар тізімі — /help.",
    stale="Бұл жауап енді қолжетімсіз. Сұрағыңызды қайта қойыңыз.",
    error="Бірдеңе дұрыс болмады. Сәлден соң қайталап көріңіз.",
    slow_down="Сұрақ тым көп: минутына ең көбі {limit} сұрақ. Келесі сұрақты {seconds} "
    "секундтан кейін қоя аласыз.",
    slow_down_presses="Батырма тым көп басылды: минутына ең көбі {limit}. {seconds} "
    "секундтан кейін қайта басыңыз.",
    slow_down_button="Сұрақ тым көп — бір минут күтіңіз",
    private_bot="Бұл жабық бот: ол тек өзі бапталған чаттарда жауап береді.",
    not_allowed="Бұл команда тек бот әкімшілеріне арналған.",
    report="Соңғы {days} күн: {total} сұрақ — жауабы барлары {answered}, сенімсіздері "
    "{uncertain}, жауабы жоқтары {not_covered}. 👍 {up}, 👎 {down}.",
    report_groups="Сұхбатта жоқ тақырыптар (ұқсас сұрақтар бірге):",
    report_failed="Есеп жоқ: {error}",
    reloading="Индексті корпус бойынша қайта құрып жатырмын…",
    reloading_published="Соңғы жарияланған индексті жүктеп жатырмын…",
    reloaded="Индекс жаңартылды: {paragraphs} абзац, құрастырылған уақыты {built_at}.",
    reload_failed="Индекс жаңартылмады, бұрынғысы жұмыс істеп тұр. Қате: {error}",
    stats="Жұмыс уақыты: {uptime}\n"
    "Сұрақтар: жауап берілгені {answered}, сенімсізі {uncertain}, жауапсызы {not_covered}, "
    "лимиттен асқаны {limited}\n"
    "Индекс: {paragraphs} абзац, құрастырылған уақыты {built_at}, {build_seconds} с\n"
    "Индексті қайта жүктеу: {reloads}, сәтсізі: {failed_reloads}",
    upload_preview="Жаңа сұхбат. Тексеріп, жариялаңыз:",
    upload_title="Атауы: {value}",
    upload_date="Күні: {value}",
    upload_interviewee="Жауап береді: {value}",
    upload_interviewer="Сұрақ қояды: {value}",
    upload_outlet="Басылым: {value}",
    upload_source_url="Сілтеме: {value}",
    upload_unknown="дереккөзде жоқ",
    upload_counts="Сұрақ саны: {questions}, жауап абзацтары: {paragraphs}.",
    upload_heading="Бөлім: {heading}",
    upload_question="{number}. {question} — абзац саны: {paragraphs}",
    upload_publish="Жариялау",
    upload_cancel="Бас тарту",
    upload_publishing="Жариялап жатырмын: файлдарды жазып, индексті қайта құрып жатырмын…",
    upload_published="Жарияланды: {name}. Индекстегі абзац саны енді: {paragraphs}.",
    upload_cancelled="Бас тартылды, ештеңе жарияланған жоқ.",
    upload_was_published="Бұл сұхбат жарияланып қойған.",
    upload_was_cancelled="Бұл сұхбатты жариялаудан бас тартылған.",
    upload_was_failed="Бұл сұхбат жарияланбады. Оны қайта жіберіңіз.",
    upload_busy="Бұл сұхбат қазір жариялануда.",
    upload_gone="Бұл файл енді сақталмаған. Оны қайта жіберіңіз.",
    upload_duplicate="Бұл сұхбат корпуста бар ({name}). Ештеңе қосылған жоқ.",
    upload_refused="Қосылмады: {reason}",
    upload_too_large="Файл тым үлкен: {size} МБ, ең көбі {limit} МБ болуы керек.",
    upload_wrong_type="Бұл файл жарамайды ({reason}). Word (.docx), PDF, веб-бет (.html) "
    "немесе мәтін (.txt) жіберіңіз.",
    upload_failed="Жарияланбады, бұрынғы индекс жұмыс істеп тұр. Қате: {error}",
    upload_for_admins="Сұхбатты тек бот әкімшілері қоса алады. Сұрағыңызды сөзбен жазыңыз.",
    import_usage="Командадан кейін беттің мекенжайын жазыңыз: /import https://…",
    stats_log="Сұрақтар журналы: {state}; жазылғаны {written}, тасталғаны {dropped}, "
    "жазу кезінде жоғалғаны {failed}, кезекте {queued}",
    log_states=(
        ("off", "өшірулі"),
        ("writing", "жазылып жатыр"),
        ("failing", "дерекқор қолжетімсіз, жазбалар жоғалуда"),
        ("closed", "жабық"),
    ),
)

LANGUAGES = (RUSSIAN, ENGLISH, KAZAKH)


def texts_for(language_code: str | None) -> Texts:
    """The interface in the user's Telegram language: English or Kazakh, else Russian."""
    code = (language_code or "").lower()
    if code.startswith("en"):
        return ENGLISH
    if code.startswith("kk"):
        return KAZAKH
    return RUSSIAN
