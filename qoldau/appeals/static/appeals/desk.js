/* The operator's desk: what is typed into a call's appeal form outlives a reload of the page
   (ending the call, transferring it, a colleague's link opened in this tab). It is kept in this
   tab's sessionStorage, under the operator and the form's id (one per call), until the form is
   sent or its card closed. The tab's storage goes when the tab closes; signing out, or another
   operator opening the desk in this tab, drops the drafts too. No dependencies. */
(function () {
  "use strict";
  var PREFIX = "qoldau-desk-draft:";

  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; // storage disabled: the desk works, without drafts
    }
  }

  function typed(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      var kind = element.type;
      return element.name && kind !== "hidden" && kind !== "file" && kind !== "submit" &&
        kind !== "button";
    });
  }

  function owner() {
    var desk = document.querySelector("[data-draft-owner]");
    return desk ? desk.getAttribute("data-draft-owner") : "";
  }

  function keyOf(formId) {
    return PREFIX + owner() + ":" + formId;
  }

  function forgetAll(exceptOwner) {
    var store = storage();
    if (!store) { return; }
    var keep = exceptOwner === undefined ? null : PREFIX + exceptOwner + ":";
    for (var index = store.length - 1; index >= 0; index -= 1) {
      var name = store.key(index);
      if (name && name.indexOf(PREFIX) === 0 && (keep === null || name.indexOf(keep) !== 0)) {
        store.removeItem(name);
      }
    }
  }

  function save(form) {
    var store = storage();
    if (!store) { return; }
    var values = {};
    var changed = false;
    typed(form).forEach(function (element) {
      values[element.name] = element.value;
      var initial = element.tagName === "SELECT"
        ? (element.querySelector("option[selected]") || {}).value
        : element.defaultValue;
      if (element.value !== (initial || "")) { changed = true; }
    });
    try {
      if (changed) {
        store.setItem(keyOf(form.id), JSON.stringify(values));
      } else {
        store.removeItem(keyOf(form.id));
      }
    } catch (error) {
      // storage full: the form itself still holds the text
    }
  }

  function forget(formId) {
    var store = storage();
    if (store) { store.removeItem(keyOf(formId)); }
  }

  function restore(form) {
    if (form.hasAttribute("data-draft-seen")) { return; }
    form.setAttribute("data-draft-seen", "");
    // A refused sending comes back from the server as it was sent: that copy wins.
    if (form.querySelector(".field--error, .message--error")) { return; }
    var store = storage();
    var saved = store && store.getItem(keyOf(form.id));
    if (!saved) { return; }
    var values;
    try {
      values = JSON.parse(saved);
    } catch (error) {
      forget(form.id);
      return;
    }
    typed(form).forEach(function (element) {
      if (Object.prototype.hasOwnProperty.call(values, element.name)) {
        element.value = values[element.name];
      }
    });
    var notice = document.createElement("p");
    notice.className = "hint appeals-form__restored";
    notice.setAttribute("role", "status");
    notice.textContent = form.getAttribute("data-draft-restored") || "";
    form.insertBefore(notice, form.firstChild);
  }

  function scan(root) {
    var forms = root.querySelectorAll ? root.querySelectorAll("form[data-draft]") : [];
    Array.prototype.forEach.call(forms, restore);
    if (root.matches && root.matches("form[data-draft]")) { restore(root); }
  }

  function onEdit(event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-draft")) { save(form); }
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-draft")) { forget(form.id); }
    var closes = form.getAttribute("data-draft-forget");
    if (closes) { forget(closes); }
    if (form.classList.contains("account__signout")) { forgetAll(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    forgetAll(owner()); // another operator's drafts in this tab
    scan(document);
  });
  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
})();
