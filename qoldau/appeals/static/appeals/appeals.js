// The operator's registration form: keyboard first (Ctrl+Enter registers), the text focused.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("appeal-form");
  if (!form) { return; }
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  var content = document.getElementById("id_content");
  if (content && !document.querySelector(".field--error")) { content.focus(); }
});
