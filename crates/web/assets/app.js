// Boxoffice's few scripts: hold countdowns, the live seat map, the seat layout preview.
// Plain JavaScript, no dependencies; every page works read-only without it.
"use strict";

(function countdowns() {
  const clocks = document.querySelectorAll(".countdown[data-until]");
  if (!clocks.length) return;
  function tick() {
    const now = Date.now();
    clocks.forEach((el) => {
      const until = Date.parse(el.dataset.until);
      if (isNaN(until)) return;
      const left = Math.max(0, Math.round((until - now) / 1000));
      if (left === 0) {
        el.textContent = "expired";
        el.classList.add("expired");
        const gone = document.getElementById("hold-expired");
        if (gone && gone.hidden) {
          gone.hidden = false;
          for (const id of ["pay-form", "hold-clock"]) {
            const hide = document.getElementById(id);
            if (hide) hide.hidden = true;
          }
        }
      } else {
        const m = Math.floor(left / 60), s = left % 60;
        el.textContent = m + ":" + String(s).padStart(2, "0");
      }
    });
  }
  tick();
  setInterval(tick, 1000);
})();

(function seatMap() {
  const root = document.getElementById("event");
  if (!root) return;
  const eventId = root.dataset.event;
  const live = root.dataset.live === "true";
  const message = document.getElementById("message");
  const hover = document.getElementById("hover");
  const inCart = document.getElementById("in-cart");
  const left = document.getElementById("seats-left");
  const seats = new Map();
  root.querySelectorAll("circle.seat").forEach((c) => seats.set(c.dataset.id, c));
  const STATES = ["available", "reserved", "sold", "unavailable", "mine"];
  const WORDS = { available: "free", reserved: "held by someone", sold: "sold", unavailable: "not on sale", mine: "yours" };

  // A seat's words ("A · row 1 · seat 3 — 50.00 USD") are its <title>, shown natively on hover.
  const words = (c) => (c.querySelector("title") || {}).textContent || "";
  const label = (c) => words(c).split(" — ")[0];
  function setState(c, state) {
    STATES.forEach((s) => c.classList.toggle(s, s === state));
  }
  function stateOf(c) {
    return STATES.find((s) => c.classList.contains(s)) || "available";
  }
  function say(text, ok) {
    message.hidden = false;
    message.textContent = text;
    message.classList.toggle("error", !ok);
    message.classList.toggle("ok", !!ok);
  }
  async function post(path, seat) {
    const body = new URLSearchParams({ seat });
    const res = await fetch(path, { method: "POST", body, credentials: "same-origin" });
    let data = {};
    try { data = await res.json(); } catch (_) { data = {}; }
    if (!("ok" in data)) {
      // An answer of the edge (rate limit, timeout) rather than of the page.
      data = { ok: false, message: data.error || "The server did not answer. Please try again." };
    }
    return data;
  }

  root.addEventListener("mouseover", (e) => {
    const c = e.target.closest("circle.seat");
    if (c) hover.textContent = words(c) + " · " + WORDS[stateOf(c)];
  });
  root.addEventListener("click", async (e) => {
    const c = e.target.closest("circle.seat");
    if (!c || c.classList.contains("busy")) return;
    const state = stateOf(c);
    if (state === "mine") {
      c.classList.add("busy");
      const data = await post("/ui/events/" + eventId + "/release", c.dataset.id);
      c.classList.remove("busy");
      if (data.ok) setState(c, "available");
      say(data.ok ? label(c) + " is no longer in your cart." : data.message, data.ok);
      if (data.inCart !== undefined) inCart.textContent = data.inCart;
      return;
    }
    if (state === "unavailable") {
      say("This seat is not on sale.", false);
      return;
    }
    if (state !== "available") {
      say("Sorry, this seat is taken. Please pick another one.", false);
      return;
    }
    c.classList.add("busy");
    const data = await post("/ui/events/" + eventId + "/hold", c.dataset.id);
    c.classList.remove("busy");
    if (data.ok) {
      setState(c, "mine");
      inCart.textContent = data.inCart;
    } else {
      setState(c, "reserved");
    }
    say(data.message, data.ok);
    hover.textContent = words(c) + " · " + WORDS[stateOf(c)];
  });

  // Best available: the form works without script (it lands on the cart); with it, the seats
  // turn "yours" on the map where the buyer is.
  const best = document.getElementById("best-form");
  if (best) {
    best.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = best.querySelector("button");
      button.disabled = true;
      let data;
      try {
        const res = await fetch(best.action, {
          method: "POST",
          body: new URLSearchParams(new FormData(best)),
          credentials: "same-origin",
          headers: { accept: "application/json" },
        });
        try { data = await res.json(); } catch (_) { data = {}; }
        if (!("ok" in data)) data = { ok: false, message: data.error || "The server did not answer. Please try again." };
      } catch (_) {
        data = { ok: false, message: "The server did not answer. Please try again." };
      }
      button.disabled = false;
      if (data.ok) {
        (data.seats || []).forEach((id) => { const c = seats.get(id); if (c) setState(c, "mine"); });
        inCart.textContent = data.inCart;
      }
      say(data.message, data.ok);
    });
  }

  async function refresh() {
    try {
      const res = await fetch("/ui/events/" + eventId + "/live", { credentials: "same-origin" });
      if (!res.ok) return;
      const data = await res.json();
      seats.forEach((c, id) => {
        if (!c.classList.contains("busy")) setState(c, data.seats[id] || "available");
      });
      left.textContent = data.available;
      inCart.textContent = data.inCart;
    } catch (_) { /* the next round tries again */ }
  }
  if (live) setInterval(refresh, 3000);
})();

(function layoutPreview() {
  const form = document.getElementById("generator");
  if (!form) return;
  const rows = document.getElementById("section-rows");
  const preview = document.getElementById("preview");
  let timer = null;
  async function draw() {
    const body = new URLSearchParams(new FormData(form));
    try {
      const res = await fetch("/ui/admin/preview", { method: "POST", body, credentials: "same-origin" });
      if (res.ok) preview.innerHTML = await res.text();
      else preview.textContent = res.status === 401 ? "Please sign in again." : "The preview is not available right now.";
    } catch (_) {
      preview.textContent = "The preview is not available right now.";
    }
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(draw, 250);
  }
  form.addEventListener("input", later);
  document.getElementById("add-section").addEventListener("click", () => {
    const last = rows.querySelector(".section-row:last-child");
    const copy = last.cloneNode(true);
    const code = copy.querySelector("input[name=section]");
    code.value = String.fromCharCode(65 + rows.children.length);
    rows.appendChild(copy);
    later();
  });
  rows.addEventListener("click", (e) => {
    if (e.target.classList.contains("remove-section") && rows.children.length > 1) {
      e.target.closest("tr").remove();
      later();
    }
  });
  draw();
})();
