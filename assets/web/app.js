// jetfeed's page: the feed newest first, live from /events. Every piece of
// tweet text goes into the page through textContent, never as markup.
"use strict";

const PAGE = 50;
const MAX_CHARS = 280;
const $ = (id) => document.getElementById(id);
const feed = $("feed");
const byId = new Map(); // tweet id -> its <li>
const likedHere = new Set(); // ids this page liked as the current name
const stale = new Set(); // ids whose count changed: fetched in a moment
let oldest = null;

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function when(date) {
  const d = new Date(date);
  return isNaN(d) ? "" : d.toLocaleString();
}

function render(t) {
  const li = el("li", "tweet");
  li.dataset.id = t.id;
  const meta = el("div", "meta");
  meta.append(el("span", "author", t.author || "anonymous"), el("time", "date", when(t.created_at || t.date)));
  const like = el("button", "like");
  like.type = "button";
  like.addEventListener("click", () => toggleLike(t.id));
  li.append(meta, el("p", "text", t.message), like);
  byId.set(t.id, li);
  setLikes(t.id, t.likes || 0);
  return li;
}

function setLikes(id, n) {
  const li = byId.get(id);
  if (!li) return;
  const b = li.querySelector(".like");
  const mine = likedHere.has(id);
  b.textContent = (mine ? "♥ " : "♡ ") + n;
  b.classList.toggle("liked", mine);
  b.dataset.likes = String(n);
}

function add(t, atTop) {
  if (byId.has(t.id)) {
    setLikes(t.id, t.likes || 0);
    return;
  }
  const li = render(t);
  if (atTop) feed.prepend(li);
  else feed.append(li);
}

function status(text, live) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("live", !!live);
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error((data && data.error) || res.status + " " + res.statusText);
  return data;
}

async function loadNewest() {
  const tweets = await api("GET", "/tweets?limit=" + PAGE);
  for (const t of tweets.slice().reverse()) add(t, true);
  if (oldest === null && tweets.length) oldest = tweets[tweets.length - 1].id;
  $("older").hidden = tweets.length < PAGE;
}

async function loadOlder() {
  if (oldest === null) return;
  const tweets = await api("GET", "/tweets?limit=" + PAGE + "&before=" + encodeURIComponent(oldest));
  for (const t of tweets) add(t, false);
  if (tweets.length) oldest = tweets[tweets.length - 1].id;
  $("older").hidden = tweets.length < PAGE;
}

async function refreshStale() {
  const ids = [...stale].filter((id) => byId.has(id)).slice(0, 20);
  stale.clear();
  for (const id of ids) {
    try {
      const t = await api("GET", "/tweets/" + encodeURIComponent(id));
      const me = $("author").value.trim();
      if (me) {
        if ((t.likers || []).includes(me)) likedHere.add(id);
        else likedHere.delete(id);
      }
      setLikes(id, t.likes);
    } catch (e) {
      // The next change tries again.
    }
  }
}

async function toggleLike(id) {
  const me = $("author").value.trim();
  // A named user likes once and can take it back; without a name, a like
  // is anonymous, as the Go service's page sends them.
  const unlike = me !== "" && likedHere.has(id);
  try {
    await api(unlike ? "DELETE" : "POST", "/tweets/" + encodeURIComponent(id) + "/likes", me ? { author: me } : undefined);
    if (me) {
      if (unlike) likedHere.delete(id);
      else likedHere.add(id);
    }
    stale.add(id);
    refreshStale();
  } catch (e) {
    $("error").textContent = e.message;
  }
}

function listen() {
  const source = new EventSource("/events");
  let dropped = false;
  source.onopen = () => {
    status("live", true);
    // Back after a break: whatever came meanwhile is in the list.
    if (dropped) loadNewest().catch(() => {});
  };
  source.onerror = () => {
    dropped = true;
    status("reconnecting…");
  };
  source.onmessage = (m) => {
    let e;
    try {
      e = JSON.parse(m.data);
    } catch (err) {
      return;
    }
    if (e.messageType === "tweet_created") {
      add({ id: e.id, message: e.message, author: e.author, created_at: e.date, likes: 0 }, true);
    } else if (e.messageType === "tweet_liked" || e.messageType === "tweet_unliked") {
      stale.add(e.id);
    }
  };
}

function count() {
  const n = [...$("message").value.trim()].length;
  const c = $("count");
  c.textContent = n + "/" + MAX_CHARS;
  c.classList.toggle("over", n > MAX_CHARS);
}

async function post(ev) {
  ev.preventDefault();
  const message = $("message").value;
  const author = $("author").value.trim();
  $("error").textContent = "";
  $("post").disabled = true;
  try {
    const t = await api("POST", "/tweets", { message, author });
    add(t, true);
    $("message").value = "";
    count();
    localStorage.setItem("jetfeed.author", author);
  } catch (e) {
    $("error").textContent = e.message;
  } finally {
    $("post").disabled = false;
  }
}

function start() {
  $("author").value = localStorage.getItem("jetfeed.author") || "";
  $("author").addEventListener("change", () => likedHere.clear());
  $("message").addEventListener("input", count);
  $("compose").addEventListener("submit", post);
  $("older").addEventListener("click", () => loadOlder().catch((e) => ($("error").textContent = e.message)));
  // Listen first, then load: nothing stored in between is missed.
  listen();
  loadNewest().catch((e) => status("cannot load the feed: " + e.message));
  setInterval(() => {
    if (stale.size) refreshStale();
  }, 250);
}

start();
