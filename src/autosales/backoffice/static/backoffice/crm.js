// Keyboard use of the CRM pages: "l" jumps to the log form, Ctrl/Cmd+Enter sends the form being typed in,
// Alt+1..5 picks the kind of activity. Everything also works without this file (plain forms).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && typing && target.form) {
      event.preventDefault();
      target.form.requestSubmit ? target.form.requestSubmit() : target.form.submit();
      return;
    }
    if (!typing && !event.ctrlKey && !event.metaKey && !event.altKey && event.key === "l") {
      var subject = document.getElementById("id_subject");
      if (subject) { event.preventDefault(); subject.focus(); }
      return;
    }
    if (event.altKey && /^[1-5]$/.test(event.key)) {
      var radios = document.querySelectorAll("input[name=kind]");
      var radio = radios[Number(event.key) - 1];
      if (radio) { event.preventDefault(); radio.checked = true; radio.dispatchEvent(new Event("change")); }
    }
  });
  var followUp = document.getElementById("id_follow_up");
  var followFields = document.getElementById("follow-up-fields");
  if (followUp && followFields) {
    var sync = function () { followFields.hidden = !followUp.checked; };
    followUp.addEventListener("change", sync);
    sync();
  }
})();
