// The recipe pages' script. Every page works without it: the form's row buttons post the form
// and get it back changed, and the "More recipes" link is a link. With it, rows change in place,
// tag boxes suggest the next tag, and focus lands where people expect after htmx swaps.
"use strict";

(function () {
  // ---- Recipe form: add, remove and move ingredient lines and steps in the page ----------------

  var uniqueRows = 0;

  function rowsOf(list) {
    return Array.prototype.filter.call(list.children, function (child) {
      return child.hasAttribute("data-row");
    });
  }

  // Labels, hidden button names and button values follow each row's new position, so the form
  // reads the same to a screen reader, and posts the same, as the server would render it.
  function renumber(list) {
    var rows = rowsOf(list);
    rows.forEach(function (row, index) {
      var kind = row.getAttribute("data-row");
      row.querySelectorAll("[data-row-number]").forEach(function (number) {
        number.textContent = String(index + 1);
      });
      row.querySelectorAll("button[data-row-action]").forEach(function (button) {
        var action = button.getAttribute("data-row-action");
        button.value = action + "-" + kind + "-" + index;
        if (action === "up") {
          button.disabled = index === 0;
        } else if (action === "down") {
          button.disabled = index === rows.length - 1;
        }
      });
    });
  }

  function newRow(form, kind) {
    var template = form.querySelector('template[data-row-template="' + kind + '"]');
    if (!template) {
      return null;
    }
    var row = template.content.firstElementChild.cloneNode(true);
    uniqueRows += 1;
    var suffix = "new" + uniqueRows;
    row.querySelectorAll("[id], label[for], [aria-describedby]").forEach(function (element) {
      ["id", "for", "aria-describedby"].forEach(function (name) {
        var value = element.getAttribute(name);
        if (value) {
          element.setAttribute(name, value.replace("9999", suffix));
        }
      });
    });
    return row;
  }

  function firstField(row) {
    return row.querySelector("input:not([type=hidden]), textarea");
  }

  function rowAction(form, button) {
    var action = button.getAttribute("data-row-action");
    if (action === "add") {
      var kind = button.getAttribute("data-row-kind");
      var list = form.querySelector('[data-rows="' + kind + '"]');
      var row = newRow(form, kind);
      if (!list || !row) {
        return false;
      }
      list.appendChild(row);
      renumber(list);
      // The text box, not the section box: most lines have no section.
      var text = row.querySelector('[name$="_text"]') || firstField(row);
      if (text) {
        text.focus();
      }
      return true;
    }
    var current = button.closest("[data-row]");
    if (!current) {
      return false;
    }
    var rows = current.parentElement;
    if (action === "remove") {
      var next = current.nextElementSibling || current.previousElementSibling;
      current.remove();
      renumber(rows);
      var target = next ? next.querySelector('button[data-row-action="remove"]') : null;
      (target || form.querySelector('[data-row-action="add"]')).focus();
      return true;
    }
    if (action === "up" && current.previousElementSibling) {
      rows.insertBefore(current, current.previousElementSibling);
    } else if (action === "down" && current.nextElementSibling) {
      rows.insertBefore(current.nextElementSibling, current);
    } else {
      return true;
    }
    renumber(rows);
    // Keep focus on the same button as it moves; if it is now disabled, on its sibling.
    var same = current.querySelector('button[data-row-action="' + action + '"]');
    if (same && same.disabled) {
      same = current.querySelector(
        'button[data-row-action="' + (action === "up" ? "down" : "up") + '"]'
      );
    }
    if (same) {
      same.focus();
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-row-action]") : null;
    var form = button ? button.closest("form[data-recipe-form]") : null;
    if (form && rowAction(form, button)) {
      event.preventDefault();
    }
  });

  // ---- Comma-separated tags: suggest the next tag, not a replacement for all of them -----------

  function enhanceTermInput(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) {
      return;
    }
    var names = Array.prototype.map.call(list.options, function (option) {
      return option.value;
    });
    input.addEventListener("input", function () {
      var parts = input.value.split(",");
      var typed = parts.pop().trim().toLowerCase();
      var head = parts.length
        ? parts
            .map(function (part) {
              return part.trim();
            })
            .join(", ") + ", "
        : "";
      var chosen = parts.map(function (part) {
        return part.trim().toLowerCase();
      });
      var fragment = document.createDocumentFragment();
      names
        .filter(function (name) {
          var key = name.toLowerCase();
          return chosen.indexOf(key) < 0 && (!typed || key.indexOf(typed) === 0);
        })
        .slice(0, 50)
        .forEach(function (name) {
          var option = document.createElement("option");
          option.value = head + name;
          fragment.appendChild(option);
        });
      list.replaceChildren(fragment);
    });
  }

  document.querySelectorAll("form[data-recipe-form] input[list]").forEach(enhanceTermInput);

  // ---- Search: after "More recipes", focus the first recipe that arrived -------------------------

  var shownBefore = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var list = document.getElementById("recipe-list");
    if (list && event.detail.target === list) {
      shownBefore = list.children.length;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = document.getElementById("recipe-list");
    if (list && event.detail.target === list) {
      var first = list.children[shownBefore];
      var link = first ? first.querySelector("a") : null;
      if (link) {
        link.focus();
      }
    }
  });
})();
