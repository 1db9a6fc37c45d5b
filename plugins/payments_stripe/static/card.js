// The payment page's card form: Stripe.js confirms the PaymentIntent. The page's status poll (htmx)
// notices the payment and moves on; here we only start it.
(function () {
  "use strict";

  function stripeCard(form) {
    if (!window.Stripe) return;
    var stripe = window.Stripe(form.dataset.key);
    var card = stripe.elements().create("card");
    var error = document.getElementById("stripe-error");
    var button = form.querySelector("button[type=submit]");
    card.mount("#stripe-card");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      error.hidden = true;
      stripe.confirmCardPayment(form.dataset.secret, { payment_method: { card: card } }).then(function (result) {
        if (result.error) {
          error.textContent = result.error.message;
          error.hidden = false;
          button.disabled = false;
        }
      });
    });
  }

  // Deferred after Stripe.js: the page is parsed and window.Stripe loaded when this runs.
  var form = document.getElementById("stripe-form");
  if (form) stripeCard(form);
})();
