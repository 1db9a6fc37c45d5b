// The payment page inside WeChat: WeixinJSBridge asks the customer to confirm (JSAPI). The page's
// status poll (htmx) notices the payment and moves on; here we only start it.
(function () {
  "use strict";

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

  // Deferred: the page is parsed when this runs.
  var button = document.getElementById("wechat-jsapi");
  if (button) wechat(button);
})();
