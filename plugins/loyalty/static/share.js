// Copy a share link: a button with data-copy="<input id>" copies that input's value.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  if (!input) return;
  const done = () => { button.textContent = button.dataset.copied || button.textContent; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, () => { input.select(); document.execCommand("copy"); done(); });
  } else {
    input.select();
    document.execCommand("copy");
    done();
  }
});
