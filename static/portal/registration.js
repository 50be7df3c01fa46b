// The delegation form (templates/sessions/registration_form.html): remove a participant row
// that was never saved, without asking the server. The row's inputs go with it, so the
// formset simply finds no data for that prefix and ignores it, as it ignores an empty row.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-remove-row]");
  if (!button) { return; }
  event.preventDefault();
  var row = button.closest("[data-participant-row]");
  if (!row) { return; }
  var next = row.nextElementSibling || row.previousElementSibling;
  row.remove();
  var rows = document.getElementById("participant-rows");
  if (rows) { rows.value = Math.max(0, (parseInt(rows.value, 10) || 0) - 1); }
  // A place is free again: the add button comes back if the delegation was full.
  document.querySelectorAll("[data-add-participant]").forEach(function (add) { add.hidden = false; });
  document.querySelectorAll("[data-full-note]").forEach(function (note) { note.hidden = true; });
  var focusTarget = (next && next.querySelector("input:not([type=hidden]), select")) || document.querySelector("[data-add-participant]");
  if (focusTarget) { focusTarget.focus(); }
});
