/* Knowledge base pages: the "copy answer" button. No dependencies; every label comes from the
   page (data attributes rendered in the reader's language). */
(function () {
  "use strict";

  function plainText(element) {
    // innerText keeps the line breaks of paragraphs and list items as the reader sees them.
    return (element.innerText || element.textContent || "").replace(/\n{3,}/g, "\n\n").trim();
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "-1000px";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    document.body.removeChild(area);
    return done;
  }

  function announce(button, message) {
    var status = button.parentNode.querySelector("[role=status]");
    if (status) {
      status.textContent = message;
      window.setTimeout(function () { status.textContent = ""; }, 4000);
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source) {
      return;
    }
    var title = button.getAttribute("data-copy-title") || "";
    var text = (title ? title + "\n\n" : "") + plainText(source);
    var copied = button.getAttribute("data-copied-label") || "";
    var failed = button.getAttribute("data-failed-label") || "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { announce(button, copied); },
        function () { announce(button, fallbackCopy(text) ? copied : failed); }
      );
    } else {
      announce(button, fallbackCopy(text) ? copied : failed);
    }
  });
})();
