// Cook mode. Without this script the page is every step in large type; with it, the screen stays
// on (where the browser has a wake lock), steps can be followed one at a time (buttons, or the
// arrow keys), and steps with a timer get a button that counts down and says when it is done.
"use strict";

(function () {
  var cook = document.getElementById("cook");
  if (!cook) {
    return;
  }
  var controls = cook.querySelector("[data-cook-controls]");
  var modeButton = cook.querySelector("[data-cook-mode]");
  var nav = cook.querySelector("[data-cook-nav]");
  var progress = cook.querySelector("[data-cook-progress]");
  var alertBox = cook.querySelector("[data-timer-alert]");
  var steps = Array.prototype.slice.call(cook.querySelectorAll(".cook__step"));
  var current = 0;
  controls.hidden = false;

  // ---- One step at a time ------------------------------------------------------------------

  function sectionOf(step) {
    var list = step.parentElement;
    var heading = list.previousElementSibling;
    return heading && heading.classList.contains("cook__section") ? heading : null;
  }

  function show(index, moveFocus) {
    current = Math.max(0, Math.min(steps.length - 1, index));
    steps.forEach(function (step, position) {
      step.classList.toggle("is-current", position === current);
    });
    cook.querySelectorAll(".cook__section").forEach(function (heading) {
      heading.classList.remove("is-current");
    });
    var heading = steps.length ? sectionOf(steps[current]) : null;
    if (heading) {
      heading.classList.add("is-current");
    }
    // The number the step itself shows (its value), so the two can never disagree.
    var number = steps.length ? steps[current].getAttribute("data-step") : "0";
    progress.textContent = "Step " + number + " of " + steps.length;
    nav.querySelector("[data-cook-prev]").disabled = current === 0;
    nav.querySelector("[data-cook-next]").disabled = current === steps.length - 1;
    if (moveFocus && steps.length) {
      steps[current].focus();
    }
  }

  function setSingle(single) {
    cook.classList.toggle("cook--single", single);
    modeButton.setAttribute("aria-pressed", single ? "true" : "false");
    modeButton.textContent = single ? "Show all steps" : "One step at a time";
    nav.hidden = !single;
    progress.hidden = !single;
    if (single) {
      show(current, false);
    } else {
      steps.forEach(function (step) {
        step.classList.remove("is-current");
      });
    }
  }

  if (steps.length > 1) {
    modeButton.addEventListener("click", function () {
      setSingle(!cook.classList.contains("cook--single"));
    });
    nav.querySelector("[data-cook-prev]").addEventListener("click", function () {
      show(current - 1, true);
    });
    nav.querySelector("[data-cook-next]").addEventListener("click", function () {
      show(current + 1, true);
    });
    document.addEventListener("keydown", function (event) {
      var typing = event.target.closest && event.target.closest("input, textarea, select");
      if (typing || !cook.classList.contains("cook--single")) {
        return;
      }
      if (event.key === "ArrowRight" || event.key === "ArrowDown") {
        show(current + 1, true);
        event.preventDefault();
      } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
        show(current - 1, true);
        event.preventDefault();
      }
    });
  } else {
    modeButton.hidden = true;
  }

  // ---- Keep the screen on ----------------------------------------------------------------------

  var wakeLabel = cook.querySelector("[data-wake-lock]");
  var wakeToggle = cook.querySelector("[data-wake-lock-toggle]");
  var wakeStatus = cook.querySelector("[data-wake-lock-status]");
  var lock = null;

  function requestLock() {
    if (!wakeToggle.checked || document.visibilityState !== "visible") {
      return;
    }
    navigator.wakeLock
      .request("screen")
      .then(function (sentinel) {
        lock = sentinel;
        wakeStatus.textContent = "The screen stays on while this page is open.";
        sentinel.addEventListener("release", function () {
          lock = null;
        });
      })
      .catch(function () {
        wakeStatus.textContent = "This browser would not keep the screen on just now.";
      });
  }

  if ("wakeLock" in navigator) {
    wakeLabel.hidden = false;
    requestLock();
    // The browser drops the lock whenever the page is hidden; take it again on return.
    document.addEventListener("visibilitychange", function () {
      if (lock === null) {
        requestLock();
      }
    });
    wakeToggle.addEventListener("change", function () {
      if (wakeToggle.checked) {
        requestLock();
      } else if (lock) {
        lock.release();
        wakeStatus.textContent = "The screen may turn off as usual.";
      }
    });
  }

  // ---- Step timers ----------------------------------------------------------------------------

  function clock(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function chime() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    try {
      var audio = new Context();
      [0, 0.35, 0.7].forEach(function (start) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.value = 0.15;
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + start);
        tone.stop(audio.currentTime + start + 0.2);
      });
    } catch (error) {
      // Sound is a courtesy; the message below is what counts.
    }
  }

  function startTimer(button) {
    var minutes = parseInt(button.getAttribute("data-timer-minutes"), 10);
    var step = button.getAttribute("data-timer-step");
    var endsAt = Date.now() + minutes * 60 * 1000;
    button.classList.add("is-running");
    button.classList.remove("is-done");
    function tick() {
      var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      if (!button.classList.contains("is-running")) {
        return;
      }
      if (left === 0) {
        button.classList.remove("is-running");
        button.classList.add("is-done");
        button.textContent = "Time is up: restart " + minutes + " min timer";
        alertBox.textContent = "The " + minutes + " minute timer for step " + step + " is done.";
        chime();
        if (navigator.vibrate) {
          navigator.vibrate([300, 150, 300]);
        }
        return;
      }
      button.textContent = clock(left) + " left: stop timer";
      button.timer = window.setTimeout(tick, 250);
    }
    tick();
  }

  cook.querySelectorAll("[data-timer-minutes]").forEach(function (button) {
    button.hidden = false;
    var label = button.parentElement.querySelector("[data-timer-label]");
    if (label) {
      label.hidden = true;
    }
    button.addEventListener("click", function () {
      if (button.classList.contains("is-running")) {
        window.clearTimeout(button.timer);
        button.classList.remove("is-running");
        var minutes = button.getAttribute("data-timer-minutes");
        button.textContent = "Start " + minutes + " min timer";
        return;
      }
      startTimer(button);
    });
  });
})();
