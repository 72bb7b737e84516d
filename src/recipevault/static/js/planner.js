// The planner's drag and drop: a planned meal dropped on another day's meal slot moves there.
// The page works without it: every meal has a "Move to…" form, which this script submits.
"use strict";

(function () {
  var dragged = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function say(message) {
    var status = document.getElementById("plan-status");
    if (status) {
      status.textContent = message;
    }
  }

  // After a move, show the plan as the server now has it (the page the form leads to).
  function replacePlan(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("plan");
    var plan = document.getElementById("plan");
    if (fresh && plan) {
      plan.replaceWith(fresh);
    }
  }

  function move(entry, slot) {
    var body = new FormData();
    body.append("csrf_token", csrfToken());
    body.append("date", slot.getAttribute("data-drop-date"));
    body.append("slot_id", slot.getAttribute("data-drop-slot"));
    var label = entry.getAttribute("data-entry-label");
    var where = slot.getAttribute("data-drop-label");
    say("Moving " + label + "…");
    fetch(entry.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken() },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          if (!response.ok) {
            throw new Error("refused");
          }
          replacePlan(html);
          say("Moved " + label + " to " + where + ".");
        });
      })
      .catch(function () {
        say("Could not move " + label + ". Use its “Move to…” form instead.");
      });
  }

  function slotOf(target) {
    return target && target.closest ? target.closest("[data-drop-date]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var entry = event.target.closest ? event.target.closest(".plan-entry[data-move-url]") : null;
    if (!entry) {
      return;
    }
    dragged = entry;
    entry.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", entry.getAttribute("data-entry-label"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
    }
    dragged = null;
    document.querySelectorAll(".is-drop-target").forEach(function (slot) {
      slot.classList.remove("is-drop-target");
    });
  });

  document.addEventListener("dragover", function (event) {
    var slot = slotOf(event.target);
    if (dragged && slot) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      slot.classList.add("is-drop-target");
    }
  });

  document.addEventListener("dragleave", function (event) {
    var slot = slotOf(event.target);
    if (slot && !slot.contains(event.relatedTarget)) {
      slot.classList.remove("is-drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var slot = slotOf(event.target);
    if (!dragged || !slot) {
      return;
    }
    event.preventDefault();
    slot.classList.remove("is-drop-target");
    var entry = dragged;
    dragged = null;
    if (slot.contains(entry)) {
      return;
    }
    move(entry, slot);
  });
})();
