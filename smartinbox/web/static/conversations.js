// Conversations: the composer's helpers and the inbox's keyboard shortcuts.
(function () {
  "use strict";

  function composer() {
    var use = document.getElementById("use-suggestion");
    var text = document.getElementById("reply-text");
    if (use && text) {
      use.addEventListener("click", function () {
        var suggestion = document.getElementById("suggestion-text");
        if (suggestion) {
          text.value = suggestion.textContent;
          var macro = document.getElementById("reply-macro-id");
          if (macro) macro.value = ""; // the suggestion replaces the inserted macro
          text.focus();
        }
      });
    }
    var form = document.getElementById("reply-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        var button = document.getElementById("send");
        if (form.dataset.sending === "1") {
          event.preventDefault(); // a second click while the first send is on its way
          return;
        }
        form.dataset.sending = "1";
        if (button) button.disabled = true;
      });
      form.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }
    if (text && window.location.hash === "#reply") text.focus();
    var flag = document.getElementById("replying-flag");
    if (text && flag) {
      // Other agents see "is replying" while this one has a draft.
      text.addEventListener("input", function () {
        flag.value = text.value.trim() ? "true" : "false";
      });
    }
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function shortcuts() {
    var table = document.getElementById("conversation-list");
    var help = document.getElementById("shortcut-help");
    if (!table && !help) return;
    var rows = table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr")) : [];
    var current = -1;

    function select(index) {
      if (!rows.length) return;
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach(function (row, i) {
        row.classList.toggle("selected", i === current);
        row.setAttribute("aria-selected", i === current ? "true" : "false");
      });
      rows[current].scrollIntoView({ block: "nearest" });
    }

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      var row = current >= 0 ? rows[current] : null;
      if (event.key === "j") {
        select(current + 1);
      } else if (event.key === "k") {
        select(current < 0 ? 0 : current - 1);
      } else if ((event.key === "o" || event.key === "Enter") && row) {
        window.location.href = row.dataset.href;
      } else if (event.key === "r" && row) {
        window.location.href = row.dataset.href + "#reply";
      } else if (event.key === "e" && row) {
        var close = document.getElementById("close-one");
        close.action = row.dataset.href + "/update";
        close.submit();
      } else if (event.key === "?" && help) {
        help.hidden = !help.hidden;
      } else {
        return;
      }
      event.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    composer();
    shortcuts();
  });
})();
