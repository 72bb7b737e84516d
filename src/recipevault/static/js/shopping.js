// A shopping list in the hand: tapping an item checks it off through the API (with the
// session's CSRF token) without reloading the page, moves it to the checked section and offers
// to undo it; the household's usual items are suggested while typing a new one.
// The page works without it: every item's button sends a form, and the page after a
// check-off has an Undo.
"use strict";

(function () {
  var page = document.getElementById("shopping-list");
  if (!page) {
    return;
  }
  var listId = page.getAttribute("data-list");
  var toast = document.getElementById("shop-toast");
  var toastText = toast.querySelector(".shop-toast__text");
  var toastUndo = toast.querySelector(".shop-toast__undo");
  var checkedItems = document.getElementById("checked-items");
  var places = new WeakMap(); // a row checked off here: where it was among the open items
  var sending = new WeakSet(); // rows whose change is on its way (a second tap waits)
  var lastChecked = null;
  var toastTimer = null;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // A fresh id for each change, so that the server applies it once however often it is sent.
  function opId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i += 1) {
      hex += (bytes[i] + 256).toString(16).slice(1);
    }
    return "web-" + hex;
  }

  function send(itemId, checked) {
    return fetch("/api/v1/shopping-lists/" + listId + "/items/" + itemId, {
      method: "PATCH",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": csrfToken(),
      },
      body: JSON.stringify({ checked: checked, op_id: opId() }),
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("refused: " + response.status);
      }
      return response.json();
    });
  }

  function count(id, change) {
    var counter = document.getElementById(id);
    if (counter) {
      counter.textContent = String(Math.max(0, Number(counter.textContent) + change));
    }
  }

  // Aisles with nothing left in them disappear, and come back with an item put back.
  function tidy() {
    var left = 0;
    page.querySelectorAll(".shop-aisle").forEach(function (aisle) {
      var items = aisle.querySelectorAll(".shop-item").length;
      aisle.hidden = items === 0;
      left += items;
    });
    var empty = page.querySelector(".shop-empty");
    if (empty) {
      empty.hidden = left > 0;
    }
  }

  function mark(row, checked) {
    row.classList.toggle("shop-item--checked", checked);
    row.querySelector(".shop-item__button").setAttribute(
      "form",
      checked ? "item-uncheck" : "item-check"
    );
    row.querySelector(".shop-item__text .visually-hidden").textContent = checked
      ? "Put back "
      : "Check off ";
  }

  function textOf(row) {
    return row.querySelector(".shop-item__text").lastChild.textContent;
  }

  // Without the API, the change is sent as the page's form would send it.
  function sendForm(button) {
    var form = document.getElementById(button.getAttribute("form"));
    form.action = button.getAttribute("formaction");
    form.submit();
  }

  // A row moves as a copy, the original removed: the element a finger just touched keeps its
  // hover and active state, and Chromium's renderer has crashed when such an element went
  // into a closed <details>.
  function relocate(row, parent, before) {
    var copy = row.cloneNode(true);
    parent.insertBefore(copy, before);
    row.remove();
    return copy;
  }

  function say(message, undoable) {
    toastText.textContent = message;
    toastUndo.hidden = !undoable;
    toast.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () {
      toast.hidden = true;
    }, 10000);
  }

  function checkOff(row, button) {
    var next = row.nextElementSibling;
    var place = { parent: row.parentNode, next: next && next.id };
    var following = row.nextElementSibling || row.previousElementSibling;
    sending.add(row);
    send(button.getAttribute("data-item"), true)
      .then(function () {
        var moved = relocate(row, checkedItems, checkedItems.firstElementChild);
        places.set(moved, place);
        mark(moved, true);
        count("open-count", -1);
        count("checked-count", 1);
        tidy();
        lastChecked = moved;
        say("Checked off " + textOf(moved) + ".", true);
        var button = following && following.querySelector(".shop-item__button");
        if (button && document.contains(button)) {
          button.focus();
        }
      })
      .catch(function () {
        sendForm(button);
      });
  }

  function putBack(row, button) {
    var place = places.get(row);
    sending.add(row);
    send(button.getAttribute("data-item"), false)
      .then(function () {
        places.delete(row);
        var after = place.next && document.getElementById(place.next);
        var back = after && after.parentNode === place.parent ? after : null;
        var moved = relocate(row, place.parent, back);
        mark(moved, false);
        count("open-count", 1);
        count("checked-count", -1);
        tidy();
        if (lastChecked === row) {
          lastChecked = null;
        }
        say("Put " + textOf(moved) + " back on the list.", false);
        moved.querySelector(".shop-item__button").focus();
      })
      .catch(function () {
        sendForm(button);
      });
  }

  page.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.classList.contains("shop-item__button") || !window.fetch) {
      return;
    }
    var row = button.closest(".shop-item");
    if (sending.has(row)) {
      event.preventDefault();
      return;
    }
    if (button.getAttribute("form") === "item-check") {
      event.preventDefault();
      checkOff(row, button);
    } else if (places.has(row)) {
      event.preventDefault();
      putBack(row, button);
    }
    // An item shown checked when the page came has no place to go back to here: its form
    // is sent as it is, and the page comes back with it on the list.
  });

  toastUndo.addEventListener("click", function () {
    if (lastChecked && places.has(lastChecked)) {
      putBack(lastChecked, lastChecked.querySelector(".shop-item__button"));
    }
  });

  // The household's usual items, suggested while typing (the list's suggestions).
  var input = document.getElementById("add-text");
  var suggestions = document.getElementById("usual-items");
  var typingTimer = null;
  if (input && suggestions) {
    input.addEventListener("input", function () {
      window.clearTimeout(typingTimer);
      var typed = input.value.trim();
      if (typed.length < 2 || typed.length > 100) {
        return;
      }
      typingTimer = window.setTimeout(function () {
        var url =
          "/api/v1/shopping-lists/" + listId + "/suggestions?q=" + encodeURIComponent(typed);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.ok ? response.json() : { items: [] };
          })
          .then(function (body) {
            suggestions.replaceChildren();
            body.items.forEach(function (usual) {
              var option = document.createElement("option");
              option.value = usual.name;
              suggestions.appendChild(option);
            });
          })
          .catch(function () {});
      }, 200);
    });
  }
})();
