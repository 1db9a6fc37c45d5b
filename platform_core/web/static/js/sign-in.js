// The sign-in card's countdowns (accounts/_sign_in_card.html): "wait N seconds" lines count down
// the seconds the server answered with, and the buttons of their form stay disabled meanwhile
// when the line says so. Without this script the line shows the seconds as sent, and a button
// pressed too early is answered with the wait again.
(function () {
  "use strict";

  function start(line) {
    if (line.dataset.countdownStarted) return;
    line.dataset.countdownStarted = "1";
    var ends = Date.now() + Number(line.dataset.countdown) * 1000;
    var text = line.querySelector("span");
    var form = line.closest("form");
    var buttons = form && line.hasAttribute("data-countdown-disables")
      ? form.querySelectorAll("button[type=submit]") : [];

    function tick() {
      if (!line.isConnected) return;
      var left = Math.ceil((ends - Date.now()) / 1000);
      if (left > 0) {
        text.textContent = line.dataset.countdownText.replace("{s}", String(left));
        buttons.forEach(function (b) { b.disabled = true; });
        window.setTimeout(tick, 250);
      } else {
        text.textContent = line.dataset.countdownDone;
        line.classList.add("countdown--done");
        buttons.forEach(function (b) { b.disabled = false; });
      }
    }
    tick();
  }

  function scan(root) { root.querySelectorAll("[data-countdown]").forEach(start); }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:afterSettle", function () { scan(document); });
})();
