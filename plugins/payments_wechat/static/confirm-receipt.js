// A transfer waiting for the person to confirm receipt in WeChat (商家转账, WAIT_USER_CONFIRM):
// the button hands the provider's parameters to WeChat's own sheet. Once confirmed, the page
// reloads; the transfer shows paid when WeChat tells the franchise (or its next query does).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm-receipt]");
  if (!button || typeof WeixinJSBridge === "undefined") return;
  const params = JSON.parse(button.dataset.confirmReceipt);
  button.disabled = true;
  WeixinJSBridge.invoke("requestMerchantTransfer", params, (res) => {
    button.disabled = false;
    if (res && res.err_msg === "requestMerchantTransfer:ok") window.location.reload();
  });
});
