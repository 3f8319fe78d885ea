// The search page. Every text from the corpus or the user goes into the DOM as a text node
// or an attribute value (never innerHTML), and the CSP allows no inline script.
"use strict";

const TEXTS = {
  ru: {
    title: "Спросите министра",
    subtitle: "Семантический поиск по интервью министра иностранных дел Казахстана: вопрос " +
      "на любом языке находит ближайший по смыслу абзац ответа.",
    label: "Ваш вопрос — по-русски, по-английски или по-казахски",
    placeholder: "Например: когда подпишут договор с Россией?",
    ask: "Найти",
    examples: "Примеры:",
    searching: "Ищу…",
    answered: "Ответ найден",
    uncertain: "Не уверен: вот ближайшие абзацы, но интервью может не отвечать на это прямо",
    not_covered: "Интервью не отвечает на этот вопрос",
    not_mentioned: "В интервью не упоминается: ",
    overridden: "поэтому это не ответ, а ближайшие абзацы",
    no_content: "Напишите вопрос словами — я найду ответ министра в интервью. Примеры выше.",
    greeting: "Здравствуйте! Я отвечаю на вопросы словами министра — абзацем из интервью. " +
      "Попробуйте пример выше.",
    thanks: "Пожалуйста! Спрашивайте ещё.",
    goodbye: "До свидания! Возвращайтесь с вопросами.",
    small_talk: "Я отвечаю на вопросы словами министра — абзацем из интервью, самым близким по " +
      "смыслу, и прямо говорю, когда интервью не отвечает. Попробуйте пример выше.",
    about_interview: "Что известно об интервью",
    fields: { interviewee: "Отвечает", interviewer: "Спрашивает", outlet: "Издание",
      date: "Дата публикации", source_url: "Ссылка" },
    not_recorded: "не указано в источнике",
    asked_instead: "Интервьюер спрашивал:",
    confidence: "уверенность ",
    needs: "ответ — от ",
    hits: "Ближайшие абзацы",
    similarity: "сходство ",
    asked: "Вопрос интервьюера: ",
    paragraph_of: "абзац {n} из {m}",
    whole: "Весь ответ",
    source: "Источник: ",
    helpful: "Ответ помог?",
    up: "Да, помог",
    down: "Нет, не помог",
    thanks: "Спасибо за отзыв!",
    better: "Отметьте абзац, который отвечает лучше:",
    this_one: "Этот отвечает",
    not_recorded: "Отзыв не сохранён: журнал вопросов выключен.",
    map: "Карта смыслов",
    map_help: "Каждая точка — абзац интервью, цвет — вопрос интервьюера; близкие по смыслу " +
      "тексты лежат рядом. Звезда — ваш вопрос, линии ведут к найденным абзацам.",
    your_question: "Ваш вопрос",
    too_long: "Вопрос длиннее {n} символов: сократите его.",
    too_many: "Слишком много вопросов подряд — подождите немного.",
    failed: "Что-то пошло не так. Попробуйте ещё раз.",
    offline: "Сервер недоступен.",
    api: "API и документация",
  },
  en: {
    title: "Ask the minister",
    subtitle: "Semantic search over an interview with Kazakhstan's foreign minister: a " +
      "question in any language finds the answer paragraph closest in meaning.",
    label: "Your question, in Russian, English or Kazakh",
    placeholder: "For example: when will the treaty with Russia be signed?",
    ask: "Search",
    examples: "Try:",
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
    thanks: "You're welcome! Ask me more.",
    goodbye: "Goodbye! Come back with more questions.",
    small_talk: "I answer questions in the minister's own words, with the paragraph of the " +
      "interview closest in meaning, and say plainly when it does not answer. Try an example " +
      "above.",
    about_interview: "What is known of the interview",
    fields: { interviewee: "Answered by", interviewer: "Asked by", outlet: "Published in",
      date: "Date published", source_url: "Link" },
    not_recorded: "not recorded in the source",
    asked_instead: "The interviewer asked:",
    confidence: "confidence ",
    needs: "answered from ",
    hits: "Closest paragraphs",
    similarity: "similarity ",
    asked: "Interviewer's question: ",
    paragraph_of: "paragraph {n} of {m}",
    whole: "Whole answer",
    source: "Source: ",
    helpful: "Was this helpful?",
    up: "Yes, helpful",
    down: "No, not helpful",
    thanks: "Thank you for the feedback!",
    better: "Mark the paragraph that answers it better:",
    this_one: "This one answers it",
    not_recorded: "Feedback not recorded: the question log is off.",
    map: "Meaning map",
    map_help: "Each dot is a paragraph of the interview, coloured by the interviewer's " +
      "question; texts close in meaning lie close together. The star is your question, " +
      "the lines lead to its hits.",
    your_question: "Your question",
    too_long: "The question is longer than {n} characters: shorten it.",
    too_many: "Too many questions in a row: wait a moment.",
    failed: "Something went wrong. Try again.",
    offline: "The server cannot be reached.",
    api: "API and docs",
  },
};
const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
  "#8c564b", "#7f7f7f", "#bcbd22", "#17becf"];
const TYPING_MS = 250;  // a pause this long while typing asks (unlogged)
const SETTLED_MS = 2000;  // a pause this long settles the question (logged, with feedback)
const SVG = "http://www.w3.org/2000/svg";
// Replies to what is not a question to search: no bar, no paragraph.
const NOT_SEARCHED = ["no_content", "greeting", "thanks", "goodbye", "small_talk",
  "about_interview"];
const W = 600, H = 420, PAD = 36;

const state = { lang: "ru", corpus: null, view: null, recordId: null, asked: "", seq: 0,
  shownSeq: 0, controller: null };
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

// ---- language ----

function pickLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked in TEXTS) return asked;
  const saved = localStorage.getItem("lang");
  if (saved in TEXTS) return saved;
  const preferred = (navigator.languages || [navigator.language || "ru"]).map((l) => l.slice(0, 2));
  return preferred.some((l) => ["ru", "kk", "be", "uk"].includes(l)) ? "ru" : "en";
}

function setLanguage(lang) {
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
}

// ---- asking ----

let typingTimer = 0, settleTimer = 0;

function onInput() {
  clearTimeout(typingTimer);
  clearTimeout(settleTimer);
  const text = $("q").value.trim();
  if (!text) {
    clearReply();
    return;
  }
  typingTimer = setTimeout(() => search(text, true), TYPING_MS);
  settleTimer = setTimeout(() => search(text, false), SETTLED_MS);
}

function settle(text) {
  clearTimeout(typingTimer);
  clearTimeout(settleTimer);
  $("q").value = text;
  const params = new URLSearchParams(location.search);
  if (text) params.set("q", text);
  else params.delete("q");
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? "?" + query : ""}`);
  if (text) search(text, false);
  else clearReply();
}

// typing: asked while typing, so not logged and without feedback buttons.
async function search(text, typing) {
  const corpus = state.corpus;
  if (corpus && text.length > corpus.max_query_chars) {
    status(t("too_long", { n: corpus.max_query_chars }), true);
    return;
  }
  if (typing && text === state.asked) return;
  const seq = ++state.seq;
  if (state.controller) state.controller.abort();
  const controller = new AbortController();
  state.controller = controller;
  status(t("searching"));
  const params = new URLSearchParams({ q: text, lang: state.lang });
  if (typing) params.set("typing", "1");
  let response, body;
  try {
    response = await fetch(`/api/page/search?${params}`, { signal: controller.signal });
    body = await response.json();
  } catch (error) {
    if (error.name !== "AbortError" && seq === state.seq) status(t("offline"), true);
    return;
  }
  if (seq < state.shownSeq) return;  // an answer to an older question came late
  state.shownSeq = seq;
  if (!response.ok) {
    const message = response.status === 429 ? t("too_many")
      : response.status === 400 && corpus && text.length > corpus.max_query_chars
        ? t("too_long", { n: corpus.max_query_chars }) : body.error || t("failed");
    status(message, true);
    return;
  }
  if (!state.corpus || body.build !== state.corpus.build) await loadCorpus();
  state.asked = text;
  state.recordId = typing ? null : response.headers.get("X-Record-Id");
  state.view = body;
  status("");
  renderReply(body);
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
}

function clearReply() {
  state.view = null;
  state.asked = "";
  state.recordId = null;
  if (state.controller) state.controller.abort();
  state.seq++;
  status("");
  $("decision").replaceChildren();
  $("feedback").hidden = true;
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
  if (NOT_SEARCHED.includes(reply.reason)) {
    renderNotSearched(reply);
    $("feedback").hidden = true;
    $("hits-title").hidden = true;
    $("hits").replaceChildren();
    drawMap(null);
    return;
  }
  renderDecision(reply, view);
  renderFeedback();
  // Not covered: the interviewer's nearest questions are offered, no paragraph is listed
  // as if it were a result.
  const hits = reply.decision === "not_covered" ? [] : reply.hits;
  $("hits-title").hidden = hits.length === 0;
  $("hits").replaceChildren(...hits.map((hit, i) => renderHit(hit, view.hits[i], reply)));
  drawMap(view);
}

function renderNotSearched(reply) {
  if (reply.reason !== "about_interview") {
    $("decision").replaceChildren(el("div", { class: "decision small-talk" }, t(reply.reason)));
    return;
  }
  const box = el("div", { class: "decision about" }, el("strong", {}, t("about_interview")));
  for (const doc of reply.sources) {
    const rows = Object.entries(TEXTS[state.lang].fields).map(([field, name]) => {
      const value = doc[field];
      const shown = field === "source_url" && value && /^https?:\/\//i.test(value)
        ? el("a", { href: value, rel: "noopener noreferrer" }, value)
        : (value || t("not_recorded"));
      return el("li", {}, `${name}: `, shown);
    });
    box.append(el("p", {}, doc.title || doc.description || doc.id), el("ul", {}, ...rows));
  }
  $("decision").replaceChildren(box);
}

function renderDecision(reply, view) {
  // The confidence that the first hit is right, on a bar with the confidence an answer
  // needs drawn on the same scale: what decided "answered".
  const percent = (value) => `${Math.round(value * 100)}%`;
  const needed = state.corpus.answer_confidence;
  const fill = el("div", { class: `fill${reply.decision === "answered" ? " above" : ""}` });
  fill.style.width = percent(reply.confidence);
  const mark = el("div", { class: "threshold", title: t("needs") + percent(needed) });
  mark.style.left = percent(needed);
  const bar = el("div", { class: "bar", role: "img",
    "aria-label": `${t("confidence")}${percent(reply.confidence)}, ${t("needs")}${percent(needed)}` },
  fill, mark);
  const box = el("div", { class: `decision ${reply.decision}` },
    el("strong", {}, t(reply.decision)),
    el("span", { class: "confidence" }, bar,
      `${t("confidence")}${percent(reply.confidence)} · ${t("needs")}${percent(needed)}`));
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

function renderFeedback() {
  const box = $("feedback");
  box.hidden = !state.recordId;
  if (!state.recordId) return;
  const vote = (value, label) => {
    const button = el("button", { type: "button", "aria-label": label, title: label },
      thumb(value === "down"));
    button.addEventListener("click", () => sendVote(value));
    return button;
  };
  box.replaceChildren(el("span", {}, t("helpful")), vote("up", t("up")), vote("down", t("down")));
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
  $("feedback").replaceChildren(el("span", {}, recorded ? t("thanks") : t("not_recorded")));
  if (recorded && vote === "down") {
    for (const node of document.querySelectorAll(".better")) node.hidden = false;
  }
}

function renderHit(hit, extra, reply) {
  const [low, high] = state.corpus.similarity_scale;
  const share = (value) => `${Math.max(0, Math.min(1, (value - low) / (high - low))) * 100}%`;
  // Green only for the paragraph presented as the answer: a high cosine on a reply that is
  // uncertain is no approval.
  const approved = extra.shown && reply.decision === "answered";
  const fill = el("div", { class: `fill${approved ? " above" : ""}` });
  fill.style.width = share(hit.similarity);
  const bar = el("div", { class: "bar", role: "img",
    "aria-label": `${t("similarity")}${hit.similarity.toFixed(3)}` }, fill);
  const head = el("div", { class: "hit-head" },
    el("span", { class: "rank" }, `#${hit.rank}`), bar,
    el("span", { class: "score" }, `${t("similarity")}${hit.similarity.toFixed(3)}`));
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  swatch.style.background = topicColour(extra.topic);
  const paragraph = hit.paragraph;
  const asked = el("p", { class: "asked" }, swatch, el("strong", {}, hit.label),
    el("span", { class: "question" }, ` — ${t("asked")}${paragraph.question}`));
  const section = paragraph.section ? el("p", { class: "section" }, paragraph.section) : null;
  const whole = el("details", {}, el("summary", {}, `${t("whole")} (${t("paragraph_of",
    { n: paragraph.position, m: paragraph.count })})`),
  ...extra.whole_answer.map((p) => el("p", p.id === paragraph.id ? { class: "this" } : {},
    p.text)));
  // A link only to a web page: a corpus could hold a "javascript:" URL.
  const url = extra.citation.url;
  const link = url && /^https?:\/\//i.test(url)
    ? el("a", { href: url, rel: "noopener noreferrer" }, url) : url;
  const cite = el("p", { class: "cite" }, t("source") + extra.citation.source,
    url ? ", " : "", link, ` (${paragraph.id})`);
  const better = el("p", { class: "better", hidden: "" });
  if (hit.rank > 1 && state.recordId) {
    const button = el("button", { type: "button" }, t("this_one"));
    button.addEventListener("click", async () => {
      const recorded = await sendFeedback({ paragraph_id: paragraph.id });
      better.replaceChildren(recorded ? t("thanks") : t("not_recorded"));
    });
    better.append(button);
  }
  const classes = ["hit"];
  if (extra.shown) classes.push("shown");
  if (reply.decision === "not_covered") classes.push("dim");
  return el("li", { class: classes.join(" "), id: `hit-${hit.rank}` }, head, asked, section,
    highlighted(paragraph.text, hit.highlight), whole, cite, hit.rank > 1 ? better : null);
}

// The paragraph with its sentence closest to the question marked.
function highlighted(text, sentence) {
  const at = sentence ? text.indexOf(sentence) : -1;
  if (at < 0) return el("p", { class: "text" }, text);
  return el("p", { class: "text" }, text.slice(0, at), el("mark", {}, sentence),
    text.slice(at + sentence.length));
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
  const ranks = new Map(view ? view.reply.hits.map((h) => [h.paragraph.id, h.rank]) : []);
  const nodes = [];
  if (view) {
    const [qx, qy] = [sx(view.position[0]), sy(view.position[1])];
    for (const hit of view.reply.hits) {
      const p = byId.get(hit.paragraph.id);
      if (!p) continue;
      nodes.push(svg("line", { x1: qx, y1: qy, x2: sx(p.x), y2: sy(p.y),
        "stroke-width": Math.max(1, 5 - hit.rank) }));
    }
  }
  for (const p of points) {
    const rank = ranks.get(p.id);
    const circle = svg("circle", { cx: sx(p.x), cy: sy(p.y), r: rank ? 11 : 8,
      fill: topicColour(p.topic), tabindex: "0",
      "aria-label": `${topicLabel(p.topic)}: ${p.text}` });
    if (rank) circle.classList.add("hit-point");
    for (const kind of ["mouseenter", "focus"]) circle.addEventListener(kind, () => showTip(p, circle));
    for (const kind of ["mouseleave", "blur"]) circle.addEventListener(kind, hideTip);
    nodes.push(circle);
    if (rank) nodes.push(rankLabel(rank, sx(p.x), sy(p.y), sx(view.position[0]), sy(view.position[1])));
  }
  if (view) {
    const [qx, qy] = [sx(view.position[0]), sy(view.position[1])];
    const star = svg("polygon", { class: "query", points: starPoints(qx, qy, 16, 7) });
    const title = svg("title", {});
    title.textContent = `${t("your_question")}: ${view.reply.query}`;
    star.append(title);
    nodes.push(star);
  }
  map.replaceChildren(...nodes);
  $("legend").replaceChildren(...corpus.topics.map((topic) => {
    const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.background = topicColour(topic.key);
    return el("li", { title: topic.question }, swatch, topic.label);
  }));
}

// "#n" beside a hit's point, on the far side from the question, so that the labels of
// hits close together spread out like the lines that lead to them.
function rankLabel(rank, x, y, qx, qy) {
  const length = Math.hypot(x - qx, y - qy) || 1;
  const [dx, dy] = length > 1 ? [(x - qx) / length, (y - qy) / length] : [0.7, -0.7];
  let [lx, ly, anchor] = [x + dx * 18, y + dy * 18 + 6, dx >= 0 ? "start" : "end"];
  if (lx > W - 30 || lx < 30) [lx, ly, anchor] = [x, dy >= 0 ? y + 30 : y - 16, "middle"];
  const label = svg("text", { x: lx, y: ly, "text-anchor": anchor });
  label.textContent = `#${rank}`;
  return label;
}

function topicLabel(key) {
  const topic = state.corpus.topics.find((each) => each.key === key);
  return topic ? topic.label : key;
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
    settle($("q").value.trim());
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
  await loadCorpus();
  drawMap(null);
  const question = new URLSearchParams(location.search).get("q");
  if (question && question.trim()) settle(question.trim());
}

start();
