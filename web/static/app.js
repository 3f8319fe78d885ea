// The search page. Every text from the corpus or the user goes into the DOM as a text node
// or an attribute value (never innerHTML), and the CSP allows no inline script.
"use strict";

// Every language has every key (a browser test holds them to it). {name} is filled in.
const TEXTS = {
  ru: {
    title: "Спросите министра",
    subtitle: "Семантический поиск по интервью министра иностранных дел Казахстана: вопрос " +
      "на любом языке находит ближайший по смыслу абзац ответа.",
    label: "Ваш вопрос — по-русски, по-английски или по-казахски",
    placeholder: "Например: когда подпишут договор с Россией?",
    ask: "Найти",
    examples: "Примеры",
    searching: "Ищу…",
    answered: "Ответ найден",
    uncertain: "Не уверен: вот ближайшие абзацы, но интервью может не отвечать на это прямо",
    not_covered: "Интервью не отвечает на этот вопрос",
    not_mentioned: "В интервью не упоминается: ",
    overridden: "поэтому это не ответ, а ближайшие абзацы",
    no_content: "Напишите вопрос словами — я найду ответ министра в интервью. Примеры выше.",
    greeting: "Здравствуйте! Я отвечаю на вопросы словами министра — абзацем из интервью. " +
      "Попробуйте пример выше.",
    welcome: "Пожалуйста! Спрашивайте ещё.",
    goodbye: "До свидания! Возвращайтесь с вопросами.",
    small_talk: "Я отвечаю на вопросы словами министра — абзацем из интервью, самым близким по " +
      "смыслу, и прямо говорю, когда интервью не отвечает. Попробуйте пример выше.",
    about_interview: "Что известно об интервью",
    fields: { interviewee: "Отвечает", interviewer: "Спрашивает", outlet: "Издание",
      date: "Дата публикации", source_url: "Ссылка" },
    not_recorded: "не указано в источнике",
    asked_instead: "Интервьюер спрашивал:",
    confidence: "уверенность {p}",
    needs: "ответ — от {p}",
    hits: "Ближайшие абзацы",
    similarity: "сходство {s}",
    asked: "Вопрос интервьюера: ",
    paragraph_of: "абзац {n} из {m}",
    whole: "Весь ответ",
    source: "Источник: ",
    cite: "Цитата",
    copied: "Скопировано",
    select_copy: "Цитата выделена: скопируйте её",
    helpful: "Ответ помог?",
    up: "Да, помог",
    down: "Нет, не помог",
    thanks: "Спасибо за отзыв!",
    better: "Отметьте абзац, который отвечает лучше:",
    this_one: "Этот отвечает",
    feedback_off: "Отзыв не сохранён: журнал вопросов выключен.",
    map: "Карта смыслов",
    map_help: "Каждая точка — абзац интервью, цвет — вопрос интервьюера. Карта — проекция " +
      "смыслов на плоскость: близкие точки обычно близки по смыслу, но расстояния на ней " +
      "приблизительны, и порядок #1, #2… задаёт поиск, а не карта. Звезда — ваш вопрос, " +
      "линии ведут к найденным абзацам.",
    your_question: "Ваш вопрос",
    too_long: "Вопрос длиннее {n} символов: сократите его.",
    too_many: "Слишком много вопросов подряд — отвечу через {s} с.",
    failed: "Что-то пошло не так. Попробуйте ещё раз.",
    offline: "Сервер недоступен.",
    api: "API и документация",
    speaker: "Кто говорит", anyone: "все", since: "С", until: "по",
    timeline: "Высказывания, от ранних к новым:",
    newest: "самое новое", may_answer: "возможно, отвечает", undated: "дата не указана",
    permalink: "Страница высказывания",
    sources: "Источники", paragraphs: "абзацев: {n}",
  },
  en: {
    title: "Ask the minister",
    subtitle: "Semantic search over an interview with Kazakhstan's foreign minister: a " +
      "question in any language finds the answer paragraph closest in meaning.",
    label: "Your question, in Russian, English or Kazakh",
    placeholder: "For example: when will the treaty with Russia be signed?",
    ask: "Search",
    examples: "Examples",
    searching: "Searching…",
    answered: "Answered",
    uncertain: "Uncertain: the closest paragraphs, but the interview may not answer this directly",
    not_covered: "The interview does not cover this question",
    not_mentioned: "The interview does not mention: ",
    overridden: "so this is not an answer but the closest paragraphs",
    no_content: "Type a question in words and I will find the minister's answer in the " +
      "interview. Examples are above.",
    greeting: "Hello! I answer questions in the minister's own words, with a paragraph of the " +
      "interview. Try an example above.",
    welcome: "You're welcome! Ask me more.",
    goodbye: "Goodbye! Come back with more questions.",
    small_talk: "I answer questions in the minister's own words, with the paragraph of the " +
      "interview closest in meaning, and say plainly when it does not answer. Try an example " +
      "above.",
    about_interview: "What is known of the interview",
    fields: { interviewee: "Answered by", interviewer: "Asked by", outlet: "Published in",
      date: "Date published", source_url: "Link" },
    not_recorded: "not recorded in the source",
    asked_instead: "The interviewer asked:",
    confidence: "confidence {p}",
    needs: "answered from {p}",
    hits: "Closest paragraphs",
    similarity: "similarity {s}",
    asked: "Interviewer's question: ",
    paragraph_of: "paragraph {n} of {m}",
    whole: "Whole answer",
    source: "Source: ",
    cite: "Cite",
    copied: "Copied",
    select_copy: "The quotation is selected: copy it",
    helpful: "Was this helpful?",
    up: "Yes, helpful",
    down: "No, not helpful",
    thanks: "Thank you for the feedback!",
    better: "Mark the paragraph that answers it better:",
    this_one: "This one answers it",
    feedback_off: "Feedback not recorded: the question log is off.",
    map: "Meaning map",
    map_help: "Each dot is a paragraph of the interview, coloured by the interviewer's " +
      "question. The map is a flat projection of meaning: nearby dots are usually close in " +
      "meaning, but its distances are approximate, and the order #1, #2… is the search's, " +
      "not the map's. The star is your question, the lines lead to its hits.",
    your_question: "Your question",
    too_long: "The question is longer than {n} characters: shorten it.",
    too_many: "Too many questions in a row: I will answer in {s} s.",
    failed: "Something went wrong. Try again.",
    offline: "The server cannot be reached.",
    api: "API and docs",
    speaker: "Speaker", anyone: "anyone", since: "From", until: "to",
    timeline: "Statements, oldest first:",
    newest: "newest", may_answer: "may answer it", undated: "date not recorded",
    permalink: "The statement's page",
    sources: "Sources", paragraphs: "{n} paragraphs",
  },
  kk: {
    title: "Министрден сұраңыз",
    subtitle: "Қазақстан Сыртқы істер министрінің сұхбаты бойынша мағыналық іздеу: кез " +
      "келген тілдегі сұрақ жауаптың мағынасы жағынан ең жақын абзацын табады.",
    label: "Сұрағыңыз — қазақша, орысша немесе ағылшынша",
    placeholder: "Мысалы: Ресеймен шартқа қашан қол қойылады?",
    ask: "Іздеу",
    examples: "Мысалдар",
    searching: "Іздеп жатырмын…",
    answered: "Жауап табылды",
    uncertain: "Сенімді емеспін: ең жақын абзацтар осы, бірақ сұхбатта бұған тікелей жауап " +
      "болмауы мүмкін",
    not_covered: "Сұхбатта бұл сұраққа жауап жоқ",
    not_mentioned: "Сұхбатта мыналар айтылмайды: ",
    overridden: "сондықтан бұл жауап емес, ең жақын абзацтар",
    no_content: "Сұрағыңызды сөзбен жазыңыз — мен сұхбаттан министрдің жауабын табамын. " +
      "Мысалдар жоғарыда.",
    greeting: "Сәлеметсіз бе! Мен сұрақтарға министрдің өз сөзімен — сұхбаттағы абзацпен " +
      "жауап беремін. Жоғарыдағы мысалды байқап көріңіз.",
    welcome: "Оқасы жоқ! Тағы сұраңыз.",
    goodbye: "Сау болыңыз! Сұрақтарыңызбен қайта келіңіз.",
    small_talk: "Мен сұрақтарға министрдің өз сөзімен — сұхбаттағы мағынасы ең жақын " +
      "абзацпен жауап беремін, ал сұхбатта жауап болмаса, соны тура айтамын. Жоғарыдағы " +
      "мысалды байқап көріңіз.",
    about_interview: "Сұхбат туралы белгілісі",
    fields: { interviewee: "Жауап берген", interviewer: "Сұрақ қойған", outlet: "Басылым",
      date: "Жарияланған күні", source_url: "Сілтеме" },
    not_recorded: "дереккөзде көрсетілмеген",
    asked_instead: "Сұхбат алушының жақын тақырыптағы сұрақтары:",
    confidence: "сенімділік {p}",
    needs: "жауап үшін кемінде {p}",
    hits: "Ең жақын абзацтар",
    similarity: "ұқсастық {s}",
    asked: "Сұхбат алушының сұрағы: ",
    paragraph_of: "абзац {n}/{m}",
    whole: "Толық жауап",
    source: "Дереккөз: ",
    cite: "Дәйексөз",
    copied: "Көшірілді",
    select_copy: "Дәйексөз белгіленді: оны көшіріңіз",
    helpful: "Жауап көмектесті ме?",
    up: "Иә, көмектесті",
    down: "Жоқ, көмектеспеді",
    thanks: "Пікіріңізге рақмет!",
    better: "Жақсырақ жауап беретін абзацты белгілеңіз:",
    this_one: "Осы жауап береді",
    feedback_off: "Пікір сақталмады: сұрақтар журналы өшірулі.",
    map: "Мағына картасы",
    map_help: "Әр нүкте — сұхбаттың абзацы, түсі — сұхбат алушының сұрағы. Карта — " +
      "мағыналардың жазықтықтағы проекциясы: жақын нүктелердің мағынасы әдетте жақын, бірақ " +
      "қашықтықтар шамамен ғана, ал #1, #2… ретін карта емес, іздеу анықтайды. Жұлдызша — " +
      "сіздің сұрағыңыз, сызықтар табылған абзацтарға апарады.",
    your_question: "Сіздің сұрағыңыз",
    too_long: "Сұрақ {n} таңбадан ұзын: қысқартыңыз.",
    too_many: "Сұрақ тым көп — {s} секундтан кейін жауап беремін.",
    failed: "Бірдеңе дұрыс болмады. Қайталап көріңіз.",
    offline: "Серверге қосылу мүмкін емес.",
    api: "API және құжаттама",
    speaker: "Кім айтты", anyone: "барлығы", since: "Басы", until: "соңы",
    timeline: "Пікірлер, ертеректен жаңаға қарай:",
    newest: "ең жаңасы", may_answer: "жауап беруі мүмкін", undated: "күні көрсетілмеген",
    permalink: "Пікір беті",
    sources: "Дереккөздер", paragraphs: "{n} абзац",
  },
};
// A reply's reason that is no question to search, and the text that answers it.
const NOT_SEARCHED = { no_content: "no_content", greeting: "greeting", thanks: "welcome",
  goodbye: "goodbye", small_talk: "small_talk", about_interview: "about_interview" };
const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
  "#8c564b", "#7f7f7f", "#bcbd22", "#17becf"];
// Asking as one types, without spending the questions a person settles on: a pause this
// long asks (unlogged), and so does typing that goes on this long, but never two such
// questions closer than TYPING_EVERY_MS, so a slow typist cannot make more than one a
// second either. Whatever was superseded is cancelled.
const TYPING_PAUSE_MS = 350;
const TYPING_EVERY_MS = 1200;
const MIN_TYPING_CHARS = 3;  // "к", "ко": no question yet
const SETTLED_MS = 2000;  // a pause this long settles it: logged, with feedback, in the address
const FILTERS = ["speaker", "since", "until"];  // the controls' ids, as the API names them
const SVG = "http://www.w3.org/2000/svg";
const W = 600, H = 420, PAD = 36;

const state = { lang: "ru", corpus: null, view: null, recordId: null, voted: false, shown: "",
  settled: "", seq: 0, controller: null, pendingSince: 0, typingAt: -Infinity };
const $ = (id) => document.getElementById(id);

function t(key, values) {
  let text = TEXTS[state.lang][key];
  for (const [name, value] of Object.entries(values || {})) text = text.replace(`{${name}}`, value);
  return text;
}

// An element with attributes and children; strings become text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function status(text, isError) {
  $("status").textContent = text || "";
  $("status").classList.toggle("error", Boolean(isError));
}

// When and by whom, as the bot says it.
const said = (date, who) => [date || t("undated"), who].filter(Boolean).join(" · ");
// A link only to a web page: a corpus could hold a "javascript:" URL.
const webLink = (url) => url && /^https?:\/\//i.test(url)
  ? el("a", { href: url, rel: "noopener noreferrer" }, url) : url;

// A calibrated probability is never shown as certain: 100% would claim more than it knows.
const percent = (value) => `${Math.min(99, Math.max(1, Math.round(value * 100)))}%`;

// ---- language ----

function pickLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (Object.hasOwn(TEXTS, asked)) return asked;
  const saved = localStorage.getItem("lang");
  if (Object.hasOwn(TEXTS, saved)) return saved;
  // The browser's first language the page speaks; Belarusian and Ukrainian readers get
  // Russian rather than English.
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const code = tag.slice(0, 2).toLowerCase();
    if (Object.hasOwn(TEXTS, code)) return code;
    if (code === "be" || code === "uk") return "ru";
  }
  return "en";
}

function setLanguage(lang) {
  const changed = state.lang !== lang;
  state.lang = lang;
  localStorage.setItem("lang", lang);
  document.documentElement.lang = lang;
  document.title = `${t("title")} — interview-bot`;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("q").placeholder = t("placeholder");
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
  if (state.view) renderReply(state.view);
  else if (state.corpus) drawMap(null);
  renderSources();
  // The quotations come in the page's language: ask again for them, unlogged (a reply on
  // its way asks again when it arrives).
  if (changed && state.view && !state.controller && state.view.language !== lang) {
    search(state.shown, "refresh");
  }
}

// ---- asking ----

let typingTimer = 0, settleTimer = 0, retryTimer = 0;
const typed = () => $("q").value.trim();

function onInput() {
  clearTimeout(settleTimer);
  const text = typed();
  if (!text) {
    settle("");
    return;
  }
  const now = performance.now();
  state.pendingSince = state.pendingSince || now;
  const due = Math.max(Math.min(now + TYPING_PAUSE_MS, state.pendingSince + TYPING_EVERY_MS),
    state.typingAt + TYPING_EVERY_MS);
  clearTimeout(typingTimer);
  typingTimer = setTimeout(askWhileTyping, due - now);
  settleTimer = setTimeout(() => settle(typed()), SETTLED_MS);
}

function askWhileTyping() {
  const text = typed();
  state.pendingSince = 0;
  if (text.length < MIN_TYPING_CHARS || text === state.shown) return;
  state.typingAt = performance.now();
  search(text, "typing");
}

// A question settles on Enter, on a click, or after a pause: it is logged, gets feedback
// buttons, and the address becomes a link to it.
function settle(text) {
  clearTimeout(typingTimer);
  clearTimeout(settleTimer);
  clearTimeout(retryTimer);
  state.pendingSince = 0;
  if ($("q").value.trim() !== text) $("q").value = text;
  const params = withFilters(new URLSearchParams(location.search));
  if (text) params.set("q", text);
  else params.delete("q");
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? "?" + query : ""}`);
  if (!text) clearReply();
  else if (text !== state.settled || !state.view) search(text, "settled");
}

function withFilters(params) {
  for (const name of FILTERS) {
    if ($(name).value) params.set(name, $(name).value);
    else params.delete(name);
  }
  return params;
}

// how: "typing" (unlogged), "settled" (logged), "refresh" (the shown question in another
// language, unlogged, keeping its feedback).
async function search(text, how) {
  const corpus = state.corpus;
  if (corpus && text.length > corpus.max_query_chars) {
    status(t("too_long", { n: corpus.max_query_chars }), true);
    return;
  }
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();  // superseded: its answer is not wanted
  const controller = new AbortController();
  state.controller = controller;
  const lang = state.lang;
  status(t("searching"));
  const params = withFilters(new URLSearchParams({ q: text, lang }));
  if (how !== "settled") params.set("typing", "1");
  let response, body;
  try {
    response = await fetch(`/api/page/search?${params}`, { signal: controller.signal });
    body = await response.json();
  } catch (error) {
    if (error.name !== "AbortError" && seq === state.seq) status(t("offline"), true);
    return;
  }
  if (seq !== state.seq) return;
  state.controller = null;
  if (response.status === 429) {
    // While typing, the live results pause; the question is still answered once it settles.
    if (how !== "settled") {
      status("");
      return;
    }
    const wait = Math.max(1, Number(response.headers.get("Retry-After")) || 5);
    status(t("too_many", { s: wait }), true);
    retryTimer = setTimeout(() => typed() === text && search(text, how), wait * 1000);
    return;
  }
  if (!response.ok) {
    const message = response.status === 400 && corpus && text.length > corpus.max_query_chars
      ? t("too_long", { n: corpus.max_query_chars }) : body.error || t("failed");
    status(message, true);
    return;
  }
  if (!state.corpus || body.build !== state.corpus.build) await loadCorpus();
  if (seq !== state.seq) return;
  state.shown = text;
  if (how === "settled") {
    state.settled = text;
    state.recordId = response.headers.get("X-Record-Id");
    state.voted = false;
  } else if (how === "typing") {
    state.settled = "";
    state.recordId = null;
  }
  state.view = body;
  status("");
  renderReply(body);
  if (body.language !== state.lang) search(text, "refresh");
}

async function loadCorpus() {
  try {
    const response = await fetch("/api/page/corpus");
    state.corpus = await response.json();
  } catch (error) {
    status(t("offline"), true);
    return;
  }
  renderExamples();
  renderFilters();
}

// Only for an archive: a single interview stays uncluttered.
function renderFilters() {
  const corpus = state.corpus, who = $("speaker"), chosen = who.value;
  $("filters").hidden = corpus.documents < 2;
  who.replaceChildren(who.options[0], ...corpus.speakers.map((name) => el("option", {}, name)));
  who.value = chosen;
  for (const name of ["since", "until"]) $(name).parentNode.hidden = !corpus.dates;
}

// The interviews, newest first, asked for each time the list opens.
async function renderSources() {
  if (!$("sources").open) return;
  let body;
  try {
    body = await (await fetch("/api/documents")).json();
  } catch (error) {
    status(t("offline"), true);
    return;
  }
  $("sources").querySelector("ol").replaceChildren(...body.documents.map((d) => el("li", {},
    el("strong", {}, d.title || d.description || d.id),
    ` — ${said(d.date, d.interviewee)} · ${t("paragraphs", { n: d.paragraphs })} `,
    webLink(d.source_url))));
}

function clearReply() {
  state.view = null;
  state.shown = state.settled = "";
  state.recordId = null;
  if (state.controller) state.controller.abort();
  state.controller = null;
  state.seq++;
  status("");
  $("decision").replaceChildren();
  $("better").hidden = $("timeline").hidden = true;
  $("hits").replaceChildren();
  $("hits-title").hidden = true;
  drawMap(null);
}

// ---- rendering ----

function topicColour(key) {
  const index = state.corpus ? state.corpus.topics.findIndex((topic) => topic.key === key) : -1;
  return COLOURS[(index < 0 ? 0 : index) % COLOURS.length];
}

function renderExamples() {
  const list = document.querySelector("#examples ul");
  list.replaceChildren(...state.corpus.examples.map((example) => {
    const button = el("button", { type: "button" }, example);
    button.addEventListener("click", () => settle(example));
    return el("li", {}, button);
  }));
}

function renderReply(view) {
  const reply = view.reply;
  // After the first answer the page makes room for answers: the examples fold away and
  // the introduction goes.
  if (!document.body.classList.contains("has-reply")) {
    document.body.classList.add("has-reply");
    $("examples").open = false;
  }
  $("better").hidden = $("timeline").hidden = true;
  if (Object.hasOwn(NOT_SEARCHED, reply.reason)) {
    renderNotSearched(reply);
    $("hits-title").hidden = true;
    $("hits").replaceChildren();
    drawMap(null);
    return;
  }
  renderDecision(reply, view);
  // Not covered: the interviewer's nearest questions are offered, no paragraph is listed
  // as if it were a result.
  const hits = reply.decision === "not_covered" ? [] : reply.hits;
  if (hits.length) renderTimeline(reply.statements);
  $("hits-title").hidden = hits.length === 0;
  // Quotations in another language than the page's wait for the reply asked again.
  const quotable = view.language === state.lang;
  $("hits").replaceChildren(...hits.map((hit, i) => renderHit(hit, view.hits[i], reply, quotable)));
  drawMap(view);
}

// The page's "Earlier statements": what each interview said, oldest first, the newest marked.
function renderTimeline(found) {
  const newest = found.filter((s) => s.date).pop();  // they come oldest first, undated last
  $("timeline").hidden = found.length < 2;
  $("statements").replaceChildren(...found.map((s) => el("li", {}, el("a", { href: s.permalink },
    s === newest ? el("strong", {}, `${t("newest")} `) : "",
    s.decision === "answered" ? "" : el("i", {}, `${t("may_answer")} `),
    el("b", {}, said(s.date, s.interviewee)), ` — ${s.text}`))));
}

function renderNotSearched(reply) {
  if (reply.reason !== "about_interview") {
    $("decision").replaceChildren(el("div", { class: "decision small-talk" },
      t(NOT_SEARCHED[reply.reason])));
    return;
  }
  const box = el("div", { class: "decision about" }, el("strong", {}, t("about_interview")));
  for (const doc of reply.sources) {
    const rows = Object.entries(TEXTS[state.lang].fields).map(([field, name]) => {
      const value = doc[field];
      const shown = field === "source_url" && value ? webLink(value) : value || t("not_recorded");
      return el("li", {}, `${name}: `, shown);
    });
    box.append(el("p", {}, doc.title || doc.description || doc.id), el("ul", {}, ...rows));
  }
  $("decision").replaceChildren(box);
}

function renderDecision(reply, view) {
  // The confidence that the first hit is right, on a bar with the confidence an answer
  // needs drawn on the same scale: what decided "answered".
  const needed = state.corpus.answer_confidence;
  const fill = el("div", { class: `fill${reply.decision === "answered" ? " above" : ""}` });
  fill.style.width = percent(reply.confidence);
  const mark = el("div", { class: "threshold", title: t("needs", { p: percent(needed) }) });
  mark.style.left = `${needed * 100}%`;
  const words = `${t("confidence", { p: percent(reply.confidence) })} · ${t("needs",
    { p: percent(needed) })}`;
  const bar = el("div", { class: "bar", role: "img", "aria-label": words }, fill, mark);
  const box = el("div", { class: `decision ${reply.decision}` },
    el("div", { class: "verdict" }, el("strong", {}, t(reply.decision)), feedback()),
    el("span", { class: "confidence" }, bar, words));
  if (reply.uncovered_terms.length) {
    // When the bar says sure enough but a word the interview never mentions overrides it,
    // say so next to the bar.
    const overridden = reply.decision !== "answered" && reply.confidence >= needed;
    box.append(el("p", {}, t("not_mentioned") + reply.uncovered_terms.join(", ") +
      (overridden ? ` — ${t("overridden")}` : "")));
  }
  if (reply.decision === "not_covered" && view.nearest_questions.length) {
    // The interviewer's own questions, by their topic: a click asks one.
    box.append(el("p", {}, t("asked_instead")), el("ul", {}, ...view.nearest_questions.map((q) => {
      const button = el("button", { type: "button", title: q.question }, q.label);
      button.addEventListener("click", () => settle(q.question));
      return el("li", {}, button);
    })));
  }
  $("decision").replaceChildren(box);
}

// 👍 / 👎 on the verdict's line, for a settled (logged) question only, until voted on.
function feedback() {
  if (!state.recordId) return null;
  if (state.voted) return el("span", { id: "feedback" }, t("thanks"));
  const vote = (value, label) => {
    const button = el("button", { type: "button", "aria-label": label, title: label },
      thumb(value === "down"));
    button.addEventListener("click", () => sendVote(value));
    return button;
  };
  return el("span", { id: "feedback" }, el("span", {}, t("helpful")), vote("up", t("up")),
    vote("down", t("down")));
}

// 👍 / 👎 drawn, not typed: a machine without an emoji font would show empty boxes.
// (The path is Material Design's "thumb_up", Apache License 2.0.)
function thumb(down) {
  const icon = svg("svg", { viewBox: "0 0 24 24", class: "thumb", "aria-hidden": "true" });
  icon.append(svg("path", { d: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32" +
    "c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9" +
    "c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
  transform: down ? "rotate(180 12 12)" : "" }));
  return icon;
}

async function sendFeedback(payload) {
  try {
    const response = await fetch("/api/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ record_id: state.recordId, ...payload }),
    });
    const body = await response.json();
    return response.ok && body.recorded;
  } catch (error) {
    return false;
  }
}

async function sendVote(vote) {
  const recorded = await sendFeedback({ vote });
  state.voted = recorded;
  $("feedback").replaceChildren(el("span", {}, recorded ? t("thanks") : t("feedback_off")));
  const others = document.querySelectorAll(".better");
  if (!recorded || vote !== "down" || !others.length) return;
  // Right under the verdict, where the 👎 was pressed: the other hits to choose from, by
  // rank and topic (each hit below has its own button too).
  const choices = [...document.querySelectorAll("#hits .hit")].slice(1).map((hit) => {
    const button = el("button", { type: "button", title: hit.dataset.highlight },
      `#${hit.dataset.rank} · ${hit.dataset.label}`);
    button.addEventListener("click", () => prefer(hit.dataset.paragraph));
    return el("li", {}, button);
  });
  $("better").replaceChildren(el("p", {}, t("better")), el("ul", {}, ...choices));
  $("better").hidden = false;
  for (const node of others) node.hidden = false;
  $("better").scrollIntoView({ block: "nearest" });
}

async function prefer(paragraphId) {
  const recorded = await sendFeedback({ paragraph_id: paragraphId });
  $("better").replaceChildren(el("p", {}, recorded ? t("thanks") : t("feedback_off")));
  for (const node of document.querySelectorAll(".better")) {
    node.replaceChildren(node.closest(".hit").dataset.paragraph === paragraphId
      ? (recorded ? t("thanks") : t("feedback_off")) : "");
  }
}

function renderHit(hit, extra, reply, quotable) {
  const [low, high] = state.corpus.similarity_scale;
  const share = (value) => `${Math.max(0, Math.min(1, (value - low) / (high - low))) * 100}%`;
  // Green only for the paragraph presented as the answer: a high cosine on a reply that is
  // uncertain is no approval.
  const approved = extra.shown && reply.decision === "answered";
  const fill = el("div", { class: `fill${approved ? " above" : ""}` });
  fill.style.width = share(hit.similarity);
  const similarity = t("similarity", { s: hit.similarity.toFixed(3) });
  const bar = el("div", { class: "bar", role: "img", "aria-label": similarity }, fill);
  // Hits from several interviews say when and by whom.
  const who = new Set(reply.hits.map((h) => h.document.id)).size > 1
    ? el("span", { class: "said" }, said(hit.document.date, hit.document.interviewee)) : null;
  const head = el("div", { class: "hit-head" }, el("span", { class: "rank" }, `#${hit.rank}`), bar,
    el("span", { class: "score" }, similarity), who);
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.background = topicColour(extra.topic);
  const paragraph = hit.paragraph;
  // The section the exchange is in, above it: never between a question and its answer.
  const section = paragraph.section
    ? el("p", { class: "section", title: paragraph.section }, paragraph.section) : null;
  // A long interviewer's question is cut to two lines until clicked: the answer comes first.
  const asked = el("p", { class: "asked", role: "button", tabindex: "0",
    "aria-expanded": "false" }, swatch, el("strong", {}, extra.label),
  el("span", { class: "question" }, ` — ${t("asked")}${paragraph.question}`));
  const expand = () => asked.setAttribute("aria-expanded",
    String(asked.getAttribute("aria-expanded") !== "true"));
  asked.addEventListener("click", expand);
  asked.addEventListener("keydown", (event) => event.key === "Enter" && expand());
  const whole = el("details", {}, el("summary", {}, `${t("whole")} (${t("paragraph_of",
    { n: paragraph.position, m: paragraph.count })})`),
  ...extra.whole_answer.map((p) => el("p", p.id === paragraph.id ? { class: "this" } : {},
    p.text)));
  const url = extra.citation.url;
  // The paragraph id links to the statement's own page.
  const source = el("span", {}, t("source") + extra.citation.source, url ? ", " : "", webLink(url),
    " (", el("a", { href: hit.permalink, title: t("permalink") }, paragraph.id), ")");
  const done = el("span", { class: "copied", role: "status" });
  const citeButton = el("button", { type: "button", class: "cite-button" }, t("cite"));
  citeButton.disabled = !quotable;
  const cite = el("div", { class: "cite" }, source, citeButton, done);
  citeButton.addEventListener("click", () => copy(extra.quotation, cite, done));
  let better = null;
  if (hit.rank > 1 && state.recordId) {
    const button = el("button", { type: "button" }, t("this_one"));
    button.addEventListener("click", () => prefer(paragraph.id));
    better = el("p", { class: "better", hidden: "" }, button);
  }
  const classes = extra.shown ? "hit shown" : "hit";
  // What the choice of a better paragraph under the verdict names it by.
  const data = { "data-rank": hit.rank, "data-paragraph": paragraph.id, "data-label": extra.label,
    "data-highlight": hit.highlight || "" };
  return el("li", { class: classes, id: `hit-${hit.rank}`, ...data }, head, section, asked,
    highlighted(paragraph.text, hit.highlight), whole, cite, better);
}

// The paragraph with its sentence closest to the question marked.
function highlighted(text, sentence) {
  const at = sentence ? text.indexOf(sentence) : -1;
  if (at < 0) return el("p", { class: "text" }, text);
  return el("p", { class: "text" }, text.slice(0, at), el("mark", {}, sentence),
    text.slice(at + sentence.length));
}

// The quotation the bot's Cite button sends, to the clipboard. Where the page may not
// write it (the Clipboard API wants HTTPS or localhost), it is shown selected to copy.
async function copy(text, box, done) {
  try {
    await navigator.clipboard.writeText(text);
    done.textContent = t("copied");
    return;
  } catch (error) {
    // no clipboard here: fall through to the selected text
  }
  let area = box.querySelector("textarea");
  if (!area) {
    area = el("textarea", { readonly: "", rows: String(text.split("\n").length + 1) });
    area.value = text;
    box.append(area);
  }
  area.focus();
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch (error) {
    // the text stays selected
  }
  done.textContent = copied ? t("copied") : t("select_copy");
}

// ---- the map ----

function drawMap(view) {
  const corpus = state.corpus;
  const map = $("map");
  if (!corpus) return;
  const points = corpus.points;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  if (view) {
    xs.push(view.position[0]);
    ys.push(view.position[1]);
  }
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => PAD + ((x - x0) / ((x1 - x0) || 1)) * (W - 2 * PAD);
  const sy = (y) => H - PAD - ((y - y0) / ((y1 - y0) || 1)) * (H - 2 * PAD);
  const byId = new Map(points.map((p) => [p.id, p]));
  // Not covered: the question lands on the map, but no paragraph is drawn as its result.
  const hits = view && view.reply.decision !== "not_covered" ? view.reply.hits : [];
  const ranks = new Map(hits.map((h) => [h.paragraph.id, h.rank]));
  const star = view ? [sx(view.position[0]), sy(view.position[1])] : null;
  const lines = [], circles = [], found = [];
  for (const hit of hits) {
    const p = byId.get(hit.paragraph.id);
    if (!p) continue;
    found.push({ rank: hit.rank, x: sx(p.x), y: sy(p.y) });
    lines.push(svg("line", { x1: star[0], y1: star[1], x2: sx(p.x), y2: sy(p.y),
      "stroke-width": Math.max(1, 5 - hit.rank) }));
  }
  for (const p of points) {
    const rank = ranks.get(p.id);
    const circle = svg("circle", { cx: sx(p.x), cy: sy(p.y), r: rank ? 11 : 8,
      fill: topicColour(p.topic), tabindex: "0",
      "aria-label": `${topicLabel(p.topic)}: ${p.text}` });
    if (rank) circle.classList.add("hit-point");
    for (const kind of ["mouseenter", "focus"]) circle.addEventListener(kind, () => showTip(p, circle));
    for (const kind of ["mouseleave", "blur"]) circle.addEventListener(kind, hideTip);
    circles.push(circle);
  }
  const nodes = [...lines, ...circles];
  if (star) {
    const polygon = svg("polygon", { class: "query", points: starPoints(star[0], star[1], 16, 7) });
    const title = svg("title", {});
    title.textContent = `${t("your_question")}: ${view.reply.query}`;
    polygon.append(title);
    nodes.push(polygon, ...rankLabels(found, star));
  }
  map.replaceChildren(...nodes);
  $("legend").replaceChildren(...corpus.topics.map((topic) => {
    const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = topicColour(topic.key);
    return el("li", { title: topic.question }, swatch, topicLabel(topic.key));
  }));
}

// "#n" tags beside the hits' points, never one over another, nor over the star or a hit's
// point. Best rank first, each takes the free place nearest its point, preferably on the
// side away from the star (where the line to it is not); a tag pushed away from its point
// gets a thin leader line to it.
function rankLabels(found, star) {
  const taken = [box(star[0], star[1], 18, 18), ...found.map((f) => box(f.x, f.y, 12, 12))];
  const nodes = [];
  for (const hit of found) {
    const text = `#${hit.rank}`;
    const [w, h] = [12 + 11 * text.length, 24];
    const away = Math.atan2(hit.y - star[1], hit.x - star[0]) || -Math.PI / 4;
    const free = (cx, cy) => {
      const b = box(cx, cy, w / 2, h / 2);
      const apart = (o) => b.x1 + 2 <= o.x0 || o.x1 + 2 <= b.x0 || b.y1 + 2 <= o.y0 ||
        o.y1 + 2 <= b.y0;
      return b.x0 >= 0 && b.y0 >= 0 && b.x1 <= W && b.y1 <= H && taken.every(apart);
    };
    let spot = null;
    for (let radius = 22; !spot && radius < 2 * W; radius += 10) {
      for (let i = 0; i < 24 && !spot; i++) {
        const angle = away + (i % 2 ? 1 : -1) * Math.ceil(i / 2) * (Math.PI / 12);
        const [cx, cy] = [hit.x + radius * Math.cos(angle), hit.y + radius * Math.sin(angle)];
        if (free(cx, cy)) spot = [cx, cy, radius];
      }
    }
    if (!spot) continue;  // no room left anywhere: the list beside has every rank
    const [cx, cy, radius] = spot;
    taken.push(box(cx, cy, w / 2, h / 2));
    if (radius > 32) {
      nodes.unshift(svg("line", { class: "leader", x1: hit.x, y1: hit.y, x2: cx, y2: cy }));
    }
    const label = svg("g", { class: "rank-label" });
    const tag = svg("text", { x: cx, y: cy + 6, "text-anchor": "middle" });
    tag.textContent = text;
    label.append(svg("rect", { x: cx - w / 2, y: cy - h / 2, width: w, height: h, rx: 6 }), tag);
    nodes.push(label);
  }
  return nodes;
}

function box(cx, cy, halfW, halfH) {
  return { x0: cx - halfW, y0: cy - halfH, x1: cx + halfW, y1: cy + halfH };
}

function topicLabel(key) {
  const topic = state.corpus.topics.find((each) => each.key === key);
  return topic ? topic.labels[state.lang] || topic.labels.ru : key;
}

function starPoints(cx, cy, outer, inner) {
  const corners = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 ? inner : outer;
    const angle = (Math.PI / 5) * i - Math.PI / 2;
    corners.push(`${cx + radius * Math.cos(angle)},${cy + radius * Math.sin(angle)}`);
  }
  return corners.join(" ");
}

function showTip(point, circle) {
  const tip = $("tip");
  tip.replaceChildren(el("strong", {}, topicLabel(point.topic)), `${point.id}: ${point.text}`);
  tip.hidden = false;
  const box = $("map").getBoundingClientRect();
  const dot = circle.getBoundingClientRect();
  const left = dot.left - box.left + dot.width / 2;
  tip.style.left = `${Math.min(left, box.width - tip.offsetWidth)}px`;
  tip.style.top = `${dot.bottom - box.top + 6}px`;
}

function hideTip() {
  $("tip").hidden = true;
}

// ---- start ----

async function start() {
  setLanguage(pickLanguage());
  $("q").addEventListener("input", onInput);
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    settle(typed());
  });
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  // "/" jumps to the search box, as on many search pages.
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== $("q")) {
      event.preventDefault();
      $("q").focus();
    }
  });
  $("sources").addEventListener("toggle", renderSources);
  // A filter changed: a new search, logged.
  for (const name of FILTERS) {
    $(name).addEventListener("change", () => {
      state.settled = "";
      settle(typed());
    });
  }
  await loadCorpus();
  drawMap(null);
  const params = new URLSearchParams(location.search);
  for (const name of FILTERS) $(name).value = params.get(name) || "";
  // A speaker the list lacks (the API takes part of a name) becomes a choice of its own.
  const speaker = params.get("speaker");
  if (speaker && $("speaker").value !== speaker) {
    $("speaker").add(new Option(speaker, speaker, true, true));
  }
  const question = params.get("q");
  if (question && question.trim()) settle(question.trim());
}

start();
