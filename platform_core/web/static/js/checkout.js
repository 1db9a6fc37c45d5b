// The payment page's two in-page methods: WeChat's JSAPI (inside WeChat) and Stripe's card form.
// Either way the page's status poll (htmx) notices the payment and moves on; here we only start it.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function wechat(button) {
    var params = JSON.parse(button.dataset.params);
    var error = document.getElementById("wechat-jsapi-error");
    function invoke() {
      window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, function (res) {
        // "ok" is not proof of payment: the notification is, and the poll waits for it.
        if (res.err_msg !== "get_brand_wcpay_request:ok") {
          error.textContent = error.dataset.message;
          error.hidden = false;
        }
      });
    }
    function start() {
      error.hidden = true;
      if (window.WeixinJSBridge) invoke();
      else document.addEventListener("WeixinJSBridgeReady", invoke, false);
    }
    button.addEventListener("click", start);
    start();
  }

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

  ready(function () {
    var button = document.getElementById("wechat-jsapi");
    if (button) wechat(button);
    var form = document.getElementById("stripe-form");
    if (form) stripeCard(form);
  });
})();
