"""The words and phrases that tell what kind of input a message is, in Russian, English and
Kazakh, as people type them (lower case, ё as е), for intake.py.

These are lists a person wrote and can extend, not fitted numbers. A phrase here makes a
message small talk or a question about the source only when nothing else in the message is
a word of the interview: "спасибо, а когда подпишут договор?" is a question.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """Every word of a list, whatever the lines."""
    return frozenset(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    """One phrase a line (words separated by spaces), blank lines skipped."""
    return tuple(" ".join(line.split()) for line in text.splitlines() if line.strip())


# Words that alone ask nothing: question words, yes and no, fillers, test words.
EMPTY_WORDS = _words(
    """
    что кто где когда почему зачем как какой какая какие каков сколько чей куда откуда
    отчего ли а и но ну да нет ага угу неа ок окей ладно хорошо ясно понятно э эм эээ хм ммм
    ой ах ох ух тест тестирование проверка вопрос ответ это так
    what who where when why how which whose whom yes no yeah yep nope nah ok okay sure
    hmm um uh er oh ah test testing question answer so and but this that
    не кім қайда қашан неге қалай қандай қанша қайсы қайсысы иә ия жоқ жарайды мм әә ой
    сұрақ жауап бұл
    """
)

# Rows of the keyboards people mash: Russian ЙЦУКЕН, Latin QWERTY (Kazakh shares ЙЦУКЕН).
KEYBOARD_ROWS = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю", "qwertyuiop", "asdfghjkl", "zxcvbnm")

# Small talk, by what it asks of the bot.
GREETING = _phrases(
    """
    привет
    приветик
    приветствую
    здравствуй
    здравствуйте
    здрасте
    здрасьте
    добрый день
    доброе утро
    добрый вечер
    доброго времени суток
    хай
    салют
    салам
    hi
    hello
    hey
    hiya
    howdy
    greetings
    good morning
    good afternoon
    good evening
    сәлем
    салем
    сәлеметсіз бе
    салеметсиз бе
    сәлеметсің бе
    сәлеметсіздер ме
    армысыз
    қайырлы таң
    қайырлы күн
    қайырлы кеш
    ассалаумағалейкум
    """
)
THANKS = _phrases(
    """
    спасибо
    спасибо большое
    большое спасибо
    спс
    спасибки
    пасиб
    благодарю
    thanks
    thank you
    thank u
    thx
    ty
    cheers
    many thanks
    рахмет
    рақмет
    көп рахмет
    көп рақмет
    """
)
GOODBYE = _phrases(
    """
    пока
    до свидания
    до встречи
    всего доброго
    всего хорошего
    увидимся
    спокойной ночи
    bye
    goodbye
    bye bye
    see you
    see you later
    see ya
    good night
    farewell
    сау бол
    сау болыңыз
    көріскенше
    қош бол
    қош болыңыз
    """
)
# Questions to the bot itself, praise, abuse, calls for help: answered with what the bot
# is and what it can be asked.
SMALL_TALK = _phrases(
    """
    как дела
    как ты
    как вы
    как поживаешь
    как жизнь
    что нового
    кто ты
    ты кто
    кто вы
    кто ты такой
    с кем я говорю
    что ты умеешь
    что вы умеете
    ты бот
    вы бот
    ты человек
    ты робот
    помощь
    помоги
    помогите
    хелп
    справка
    как пользоваться
    круто
    класс
    супер
    отлично
    молодец
    ты молодец
    классный бот
    хороший бот
    дурак
    тупой
    плохой бот
    how are you
    how r u
    how is it going
    whats up
    what's up
    who are you
    what are you
    who am i talking to
    what can you do
    are you a bot
    are you human
    are you a robot
    help
    help me
    i need help
    how does this work
    cool
    nice
    great
    awesome
    great job
    nice bot
    good bot
    stupid
    dumb
    bad bot
    қалайсыз
    қалың қалай
    қалайсың
    жағдайың қалай
    сен кімсің
    сіз кімсіз
    не істей аласың
    сен ботсың ба
    көмек
    көмектес
    көмектесші
    көмектесіңіз
    керемет
    тамаша
    жарайсың
    """
)

# What makes a message a question about the interview as a source: when and where it was
# published, who asked and who answered, where to read or watch it, whether it is genuine.
# The interviewee's, interviewer's and outlet's own words (from the sidecar) count too.
SOURCE_WORDS = _words(
    """
    интервью интервьюер журналист журналиста корреспондент газета газете газеты газету
    издание издании издания опубликовано опубликовали опубликовала напечатали напечатано
    вышло вышла публикация публикации источник источника ссылка ссылку оригинал полный
    полностью текст целиком видео ютуб ютубе запись аудио реальное настоящее выдуманное
    фейк подлинное дата датой брал взял зовут имя фамилия министр министра министре
    interview interviewer journalist reporter newspaper paper outlet publication published
    source link original full text transcript video youtube recording audio real genuine
    fake authentic date minister
    сұхбат сұхбатты сұхбатта сұхбаттың сұхбатқа журналист тілші газет газетте газетке
    басылым басылымда жарияланды жарияланған дереккөз сілтеме түпнұсқа толық мәтін
    бейне бейнежазба видео видеосы министр министрдің министрге шынайы аты жөні
    """
)
