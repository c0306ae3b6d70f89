// Boxoffice's few scripts: hold countdowns, the live seat map, the seat layout preview.
// Plain JavaScript, no dependencies; every page works read-only without it.
"use strict";

// A page waiting for the server (tickets being issued) looks again after a moment. A script
// rather than <meta http-equiv="refresh">, which moves screen-reader users away unannounced.
(function reloadWhileWaiting() {
  const waiting = document.querySelector("[data-reload-after]");
  if (waiting) setTimeout(() => location.reload(), 1000 * Number(waiting.dataset.reloadAfter || 2));
})();

(function countdowns() {
  const clocks = document.querySelectorAll(".countdown[data-until]");
  if (!clocks.length) return;
  const warning = document.getElementById("hold-warning");
  let reloading = false;
  function tick() {
    const now = Date.now();
    clocks.forEach((el) => {
      const until = Date.parse(el.dataset.until);
      if (isNaN(until)) return;
      const left = Math.max(0, Math.round((until - now) / 1000));
      // Two minutes before a hold lapses the page says so, once (an alert: read out at once).
      if (warning && warning.hidden && left > 0 && left <= 120) warning.hidden = false;
      if (left === 0) {
        if (warning) warning.hidden = true;
        // The cart then offers to hold the seats again: show it as the server sees it.
        if (!reloading && el.closest("[data-reload-on-expiry]")) {
          reloading = true;
          setTimeout(() => location.reload(), 1500);
        }
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
  const box = document.getElementById("map-box");
  const svg = box && box.querySelector("svg.seatmap");
  const seats = new Map();
  root.querySelectorAll(".seat[data-id]").forEach((g) => seats.set(g.dataset.id, g));
  const STATES = ["available", "reserved", "sold", "unavailable", "mine"];
  // The words and glyph of each state, as the server draws them (seatmap.rs, state_words).
  const WORDS = { available: "free", reserved: "held by someone", sold: "sold", unavailable: "not on sale", mine: "in your cart" };
  const GLYPH = { available: "", mine: "M-4.5 0.5 L-1.5 3.5 L4.5 -3.5", reserved: "M-4 4 L4 -4",
                  sold: "M-4 -4 L4 4 M4 -4 L-4 4", unavailable: "M-4.5 0 L4.5 0" };

  const label = (g) => g.dataset.label;
  const about = (g) => g.getAttribute("aria-label").split(":")[0];
  function setState(g, state) {
    STATES.forEach((s) => g.classList.toggle(s, s === state));
    const glyph = g.querySelector(".glyph");
    if (glyph) glyph.setAttribute("d", GLYPH[state] || "");
    g.setAttribute("aria-label", about(g) + ": " + WORDS[state]);
  }
  function stateOf(g) {
    return STATES.find((s) => g.classList.contains(s)) || "available";
  }
  function say(text, ok) {
    message.hidden = false;
    message.textContent = text;
    message.classList.toggle("error", !ok);
    message.classList.toggle("ok", !!ok);
  }
  function show(g) {
    hover.textContent = label(g) + " · " + g.dataset.price + " · " + WORDS[stateOf(g)];
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

  // Holds: a warning two minutes before the first of this visit's holds lapses, and word when
  // it has (both in the live region).
  let warnTimer = null, lapseTimer = null;
  function watch(expiresAt) {
    const until = Date.parse(expiresAt);
    if (isNaN(until)) return;
    clearTimeout(warnTimer); clearTimeout(lapseTimer);
    const now = Date.now();
    if (until - now > 120000) {
      warnTimer = setTimeout(() => say("Your seats are held for 2 more minutes: check out from your cart to keep them.", true), until - now - 120000);
    }
    lapseTimer = setTimeout(() => {
      say("Your hold has run out: the seats are free again for anyone.", false);
      refresh();
    }, Math.max(0, until - now));
  }

  async function act(g) {
    if (!g || g.classList.contains("busy")) return;
    const state = stateOf(g);
    if (state === "mine") {
      g.classList.add("busy");
      const data = await post("/ui/events/" + eventId + "/release", g.dataset.id);
      g.classList.remove("busy");
      if (data.ok) setState(g, "available");
      say(data.ok ? label(g) + " is no longer in your cart." : data.message, data.ok);
      if (data.inCart !== undefined) inCart.textContent = data.inCart;
      show(g);
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
    g.classList.add("busy");
    const data = await post("/ui/events/" + eventId + "/hold", g.dataset.id);
    g.classList.remove("busy");
    if (data.ok) {
      setState(g, "mine");
      inCart.textContent = data.inCart;
      watch(data.expiresAt);
    } else if (data.code === "seat_already_reserved") {
      setState(g, "reserved");
    }
    say(data.message, data.ok);
    show(g);
  }

  // Zoom and pan: the map is drawn at its natural size times `scale`; at 1 every seat is a
  // 24-px target. It opens fitted to its box (a section alone opens at 1).
  let scale = 1;
  const natural = svg ? Number(svg.dataset.width) : 0;
  function fit() { return Math.min(1, (box.clientWidth - 16) / natural); }
  function zoom(to, keep) {
    if (!svg || !natural) return;
    const before = scale;
    scale = Math.max(Math.min(fit(), 1) * 0.5, Math.min(3, to));
    const cx = keep ? keep.x : box.clientWidth / 2, cy = keep ? keep.y : box.clientHeight / 2;
    const x = (box.scrollLeft + cx) / before, y = (box.scrollTop + cy) / before;
    svg.style.width = Math.round(natural * scale) + "px";
    box.scrollLeft = x * scale - cx;
    box.scrollTop = y * scale - cy;
  }
  if (svg && natural && !svg.classList.contains("overview")) {
    box.classList.add("zoomable");
    root.querySelector(".zoom").hidden = false;
    scale = root.dataset.zoom === "section" ? 1 : fit();
    svg.style.width = Math.round(natural * scale) + "px";
    document.getElementById("zoom-in").addEventListener("click", () => zoom(scale * 1.5));
    document.getElementById("zoom-out").addEventListener("click", () => zoom(scale / 1.5));
    document.getElementById("zoom-fit").addEventListener("click", () => zoom(fit()));
    box.addEventListener("wheel", (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      const r = box.getBoundingClientRect();
      zoom(scale * (e.deltaY < 0 ? 1.2 : 1 / 1.2), { x: e.clientX - r.left, y: e.clientY - r.top });
    }, { passive: false });
    // Dragging with a mouse pans; two fingers pinch (one finger scrolls natively).
    const pointers = new Map();
    let drag = null, pinch = null, moved = false;
    box.addEventListener("pointerdown", (e) => {
      pointers.set(e.pointerId, e);
      moved = false;
      if (e.pointerType === "mouse" && e.button === 0) {
        drag = { x: e.clientX, y: e.clientY, left: box.scrollLeft, top: box.scrollTop };
      }
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = { d: Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY), scale };
      }
    });
    box.addEventListener("pointermove", (e) => {
      if (pointers.has(e.pointerId)) pointers.set(e.pointerId, e);
      if (pinch && pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const d = Math.hypot(a.clientX - b.clientX, a.clientY - b.clientY);
        zoom(pinch.scale * d / Math.max(1, pinch.d));
        moved = true;
      } else if (drag) {
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 4) moved = true;
        box.scrollLeft = drag.left - dx;
        box.scrollTop = drag.top - dy;
      }
    });
    const up = (e) => { pointers.delete(e.pointerId); drag = null; if (pointers.size < 2) pinch = null; };
    box.addEventListener("pointerup", up);
    box.addEventListener("pointercancel", up);
    // A drag that moved the map is not a click on the seat where it ended.
    box.addEventListener("click", (e) => { if (moved) { e.stopPropagation(); moved = false; } }, true);
  }

  // Keyboard: one seat of the map is in the tab order at a time; the arrow keys move along a
  // row and between rows (to the nearest seat), Home and End to a row's ends, Enter or Space
  // holds or lets go.
  const rows = new Map();
  seats.forEach((g) => {
    const r = Number(g.dataset.row);
    if (!rows.has(r)) rows.set(r, []);
    rows.get(r).push(g);
  });
  const xOf = (g) => Number((g.getAttribute("transform").match(/translate\(([-\d.]+)/) || [0, 0])[1]);
  let current = [...seats.values()].find((g) => stateOf(g) === "available") || seats.values().next().value;
  if (current) current.tabIndex = 0;
  function focusSeat(g) {
    if (!g) return;
    if (current) current.tabIndex = -1;
    current = g;
    g.tabIndex = 0;
    g.focus();
  }
  if (svg) {
    svg.addEventListener("focusin", (e) => {
      const g = e.target.closest(".seat[data-id]");
      if (!g) return;
      if (scale < 0.9 && box.classList.contains("zoomable")) zoom(1);
      if (current !== g) { if (current) current.tabIndex = -1; current = g; g.tabIndex = 0; }
      const r = g.getBoundingClientRect(), b = box.getBoundingClientRect();
      if (r.left < b.left || r.right > b.right) box.scrollLeft += r.left - b.left - b.width / 2;
      if (r.top < b.top || r.bottom > b.bottom) box.scrollTop += r.top - b.top - b.height / 2;
      show(g);
    });
    svg.addEventListener("keydown", (e) => {
      const g = e.target.closest(".seat[data-id]");
      if (!g) return;
      const row = rows.get(Number(g.dataset.row));
      const i = row.indexOf(g);
      let next = null;
      switch (e.key) {
        case "ArrowRight": next = row[i + 1]; break;
        case "ArrowLeft": next = row[i - 1]; break;
        case "Home": next = row[0]; break;
        case "End": next = row[row.length - 1]; break;
        case "ArrowUp": case "ArrowDown": {
          const other = rows.get(Number(g.dataset.row) + (e.key === "ArrowUp" ? -1 : 1));
          if (other) {
            const x = xOf(g);
            next = other.reduce((a, b) => (Math.abs(xOf(b) - x) < Math.abs(xOf(a) - x) ? b : a));
          }
          break;
        }
        case "Enter": case " ": e.preventDefault(); act(g); return;
        default: return;
      }
      e.preventDefault();
      focusSeat(next);
    });
  }

  root.addEventListener("mouseover", (e) => {
    const g = e.target.closest(".seat[data-id]");
    if (g) show(g);
  });
  root.addEventListener("click", (e) => {
    const g = e.target.closest(".seat[data-id]");
    if (g) act(g);
  });
  const accessOnly = document.getElementById("access-only");
  if (accessOnly && svg) {
    accessOnly.addEventListener("change", () => svg.classList.toggle("access-only", accessOnly.checked));
  }

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
        (data.seats || []).forEach((id) => { const g = seats.get(id); if (g) setState(g, "mine"); });
        inCart.textContent = data.inCart;
        watch(data.expiresAt);
      }
      say(data.message, data.ok);
    });
  }

  async function refresh() {
    try {
      const only = root.dataset.section ? "?section=" + encodeURIComponent(root.dataset.section) : "";
      const res = await fetch("/ui/events/" + eventId + "/live" + only, { credentials: "same-origin" });
      if (!res.ok) return;
      const data = await res.json();
      seats.forEach((g, id) => {
        if (!g.classList.contains("busy")) {
          const state = data.seats[id] || "available";
          if (state !== stateOf(g)) setState(g, state);
        }
      });
      left.textContent = data.available;
      inCart.textContent = data.inCart;
    } catch (_) { /* the next round tries again */ }
  }
  // Seat changes arrive as Server-Sent Events (the browser resumes a dropped stream with
  // Last-Event-ID by itself); the 3-s poll stays as the fallback while the stream is down, and
  // every 15 s for the counters.
  let streaming = false;
  // The stream's compact form names seats by their place in the event's seat order (data-i),
  // under a layout version (the number of seats): {"v": N, "reserved": [12, 57], ...}, or the
  // whole state as 2 bits per seat, base64 ({"v": N, "bits": "..."}).
  const CODES = ["available", "reserved", "sold", "unavailable"];
  const byIndex = new Map();
  seats.forEach((g) => byIndex.set(Number(g.dataset.i), g));
  function follow(g, next) {
    if (!g || g.classList.contains("busy")) return;
    const now = stateOf(g);
    // Our own hold shows as held to everyone else: it stays "yours" here.
    if (now === "mine" && next === "reserved") return;
    if (next !== now) setState(g, next);
  }
  function applySeats(data) {
    if (data.bits) {
      const bytes = atob(data.bits);
      byIndex.forEach((g, i) => follow(g, CODES[(bytes.charCodeAt(i >> 2) >> ((i & 3) * 2)) & 3]));
    } else {
      STATES.forEach((state) => (data[state] || []).forEach((i) => follow(byIndex.get(i), state)));
    }
  }
  if (live && seats.size && "EventSource" in window) {
    const stream = new EventSource("/events/" + eventId + "/seatmap/stream?form=compact");
    const on = (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch (_) { return; /* the next event or poll */ }
      // Seats laid out since this page was drawn: its numbering is stale, so poll instead.
      if (String(data.v) !== root.dataset.layout) {
        stream.close();
        streaming = false;
        root.dataset.stream = "stale";
        return;
      }
      streaming = true;
      root.dataset.stream = "open";
      applySeats(data);
    };
    stream.addEventListener("snapshot", on);
    stream.addEventListener("seats", on);
    stream.addEventListener("error", () => { streaming = false; root.dataset.stream = "down"; });
  }
  let rounds = 0;
  if (live && seats.size) setInterval(() => { if (!streaming || ++rounds % 5 === 0) refresh(); }, 3000);
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
