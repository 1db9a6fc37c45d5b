// The booking form (orders/book.html): the quantity stepper, file inputs that speak the page's
// language, and "as soon as possible" versus a day. The form works without this file.
(function () {
  "use strict";

  function changed(input) {
    // htmx listens for change on the form (the price) and on the day chips (the free times).
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-stepper] [data-step]");
    if (!button) return;
    var input = button.closest("[data-stepper]").querySelector("input");
    var min = Number(input.min || 1), max = Number(input.max || Infinity);
    var now = parseInt(input.value, 10);
    var next = (isNaN(now) ? min : now) + Number(button.getAttribute("data-step"));
    input.value = String(Math.min(Math.max(next, min), max));
    changed(input);
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "file" && input.closest("[data-file-pick]")) {
      var pick = input.closest("[data-file-pick]");
      var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
      pick.querySelector(".file-pick__names").textContent =
        names.length === 0 ? pick.getAttribute("data-none")
          : names.length === 1 ? names[0]
            : pick.getAttribute("data-many").replace("{count}", String(names.length));
    } else if (input.name === "day" && input.form) {
      // Picking a day means picking a time that day: "as soon as possible" is let go.
      var asap = input.form.querySelector("[data-asap]");
      if (asap) asap.checked = false;
    }
  });
})();
