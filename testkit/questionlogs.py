"""Question logs made up for the report's tests and benchmark: a year of unanswered
questions, many asked again in other words, some one of a kind."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from questionlog.ids import new_record_id
from questionlog.records import Question
from questionlog.settings import StoreSettings
from questionlog.store import Store
from records import Decision, FrontEnd
from service.vectors import pack

SUBJECTS = (
    "вступление в ВТО", "курс тенге", "визы для туристов", "пенсионная реформа",
    "экспорт зерна", "цены на бензин", "Байконур", "водные ресурсы Центральной Азии",
    "отношения с Китаем", "санкции против России", "Евразийский союз", "ядерная энергетика",
    "транзит через Каспий", "безвизовый режим с ЕС", "миграция рабочей силы", "инфляция",
    "образование за рубежом", "защита прав человека", "свобода прессы", "выборы в парламент",
    "коррупция в госорганах", "Аральское море", "добыча урана", "права женщин",
    "the WTO accession", "the exchange rate", "tourist visas", "the pension reform",
    "grain exports", "petrol prices", "the space programme", "water in Central Asia",
    "relations with China", "sanctions on Russia", "the Eurasian union", "nuclear power",
    "the Caspian route", "visa-free travel to the EU", "labour migration", "inflation",
)  # fmt: skip
TEMPLATES = (
    "Что вы скажете про {}?", "Какова позиция Казахстана: {}?", "Когда решится вопрос: {}?",
    "Расскажите подробнее: {}", "Почему в интервью ничего про {}?", "{} — что дальше?",
    "What about {}?", "What is Kazakhstan's position on {}?", "Tell me more about {}",
    "When will {} be settled?",
)  # fmt: skip


def generated_questions(n: int, seed: int = 0) -> list[str]:
    """`n` questions: nine in ten about SUBJECTS in TEMPLATES' words (so they group), the
    rest strings of random words (one of a kind), some padded to 500 characters."""
    rng = random.Random(seed)
    words = [w for s in SUBJECTS for w in s.split()]
    out = []
    for i in range(n):
        if i % 10:
            out.append(rng.choice(TEMPLATES).format(rng.choice(SUBJECTS)))
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + f" {i}?"
            out.append(text if i % 100 else (text + " " + "и так далее " * 60)[:500])
    return out


def fill_log(
    settings: StoreSettings,
    texts: Sequence[str],
    vectors: np.ndarray | None = None,
    tag: str | None = None,
    decisions: Sequence[Decision] = (Decision.NOT_COVERED, Decision.UNCERTAIN),
) -> None:
    """Write `texts` as logged questions over the last days (with their `vectors` made by
    the model `tag` names, if given), in batches, as the writer would."""
    now = datetime.now(UTC)
    with Store.open(settings) as store:
        for start in range(0, len(texts), 1000):
            batch = [
                Question(
                    id=new_record_id(),
                    at=now - timedelta(minutes=len(texts) - i),
                    front_end=FrontEnd.API,
                    language="ru",
                    text=texts[i],
                    decision=decisions[i % len(decisions)],
                    hits=(("interview/1.1", 0.5),),
                    vector=pack(vectors[i]) if vectors is not None else None,
                    vector_model=tag if vectors is not None else None,
                )
                for i in range(start, min(start + 1000, len(texts)))
            ]
            store.write(batch, [])
