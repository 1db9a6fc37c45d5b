// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function sidebar() { return document.getElementById("sidebar"); }

  function setSidebar(open) {
    var el = sidebar();
    if (!el) return;
    el.classList.toggle("is-open", open);
    document.querySelectorAll("[data-sidebar-toggle]").forEach(function (b) {
      b.setAttribute("aria-expanded", open ? "true" : "false");
    });
    if (open) {
      var first = el.querySelector("a, button");
      if (first) first.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-sidebar-toggle]")) {
      setSidebar(!sidebar().classList.contains("is-open"));
    } else if (target.closest("[data-sidebar-close]")) {
      setSidebar(false);
    } else if (target.closest("[data-dismiss]")) {
      var alert = target.closest(".alert");
      if (alert) alert.remove();
    } else if (target.closest("[data-history-back]")) {
      history.back();
    }
    // Close open menus when clicking elsewhere.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var el = sidebar();
    if (el && el.classList.contains("is-open")) {
      setSidebar(false);
      var toggle = document.querySelector("[data-sidebar-toggle]");
      if (toggle) toggle.focus();
    }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  function enhance(root) {
    // An error summary takes the focus, so screen readers and keyboards start there.
    var summary = root.querySelector("[data-autofocus]");
    if (summary) summary.focus();
    root.querySelectorAll("[data-history-back]").forEach(function (b) {
      if (history.length > 1) b.hidden = false;
    });
  }

  // A form that asks before it is sent: <form data-confirm="Delete this address?">.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // A picture chosen for upload shows at once where the current one is:
  // <input type="file" data-preview="id-of-img"> (the upload itself goes with the form).
  document.addEventListener("change", function (event) {
    var input = event.target;
    var img = input.getAttribute && document.getElementById(input.getAttribute("data-preview") || "");
    if (!img || !input.files || !input.files[0]) return;
    // A data: URL, which the pages' img-src allows (a blob: URL it does not, see web/csp.py).
    var reader = new FileReader();
    reader.onload = function () { img.src = reader.result; };
    reader.readAsDataURL(input.files[0]);
    img.hidden = false;
  });

  // Forms whose refusals are answered with the form again, to swap in place: htmx would drop a
  // 400 (a field error), a 403 (a frozen account's sign-in) or a 429 (wait a little) as an error otherwise. The event fires on the
  // swap's target (often a card around the form); the form that asked is requestConfig.elt.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var asker = (event.detail.requestConfig && event.detail.requestConfig.elt) || event.detail.elt;
    if ((status === 400 || status === 403 || status === 429) && asker.closest("[data-swap-refusals]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
  // A "Print" button (data-print), such as a certificate's: the page's print styles keep only the document.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });
})();
