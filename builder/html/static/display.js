/* The display switches: bigger text, and a cream page with more space.
   Loaded in <head>, before the page is drawn, so a saved choice never flashes.
   The choice is kept on this device for every workbook; if it cannot be kept,
   the switches still work for the page that is open. */
(function () {
  "use strict";
  var KEY = "cpo-offline/display";
  var NAMES = ["large", "dyslexia"];
  var root = document.documentElement;
  var choice = {};

  try {
    var saved = JSON.parse(window.localStorage.getItem(KEY) || "{}");
    if (saved && typeof saved === "object") choice = saved;
  } catch (e) {
    choice = {};  // unreadable or unavailable: start with the usual look
  }

  function apply() {
    NAMES.forEach(function (name) {
      root.classList.toggle(name, choice[name] === true);
    });
  }

  function remember() {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(choice));
    } catch (e) {
      /* Not kept for next time; this page still changes. */
    }
  }

  apply();

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-display]");
    Array.prototype.forEach.call(buttons, function (button) {
      var name = button.getAttribute("data-display");
      button.setAttribute("aria-pressed", choice[name] === true ? "true" : "false");
      button.addEventListener("click", function () {
        choice[name] = choice[name] !== true;
        button.setAttribute("aria-pressed", choice[name] ? "true" : "false");
        apply();
        remember();
      });
    });
  });
})();
