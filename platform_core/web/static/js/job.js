// The staff app's job pages: live countdowns to an offer's deadline, and photo forms that send
// themselves once a photo is picked (their Upload button stays for browsers without scripts).
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick(el) {
    var left = Math.floor((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
    if (left <= 0) {
      el.textContent = el.dataset.msgExpired;
      el.classList.add("is-urgent");
      var card = el.closest("[data-offer]");
      if (card) card.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      return false;
    }
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = el.dataset.msgLeft.replace("%(time)s", (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s));
    el.classList.toggle("is-urgent", left < 120);
    return true;
  }

  function startCountdowns() {
    var els = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));
    if (!els.length) return;
    var live = els.filter(tick);
    var timer = setInterval(function () {
      live = live.filter(tick);
      if (!live.length) clearInterval(timer);
    }, 1000);
  }

  function autoSubmitUploads() {
    document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
      form.classList.add("is-auto");
      var input = form.querySelector("input[type=file]");
      if (input) input.addEventListener("change", function () { if (input.files.length) form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startCountdowns();
    autoSubmitUploads();
  });
})();
