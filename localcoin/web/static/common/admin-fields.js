// Field errors from a problem document, shown next to each field (ES module).
//
// Onboarding answers 422 with `errors: [{field, code, message}]` (and pydantic
// validation errors with `errors: [{field, message}]`); `field` is a dotted
// path such as "bank_account.bank_code". Each input names its path in
// data-field; its message goes in the element `<input id>-error`, which the
// input already points to with aria-describedby, and the input is marked
// aria-invalid so a screen reader announces both.

export function clearFieldErrors(form) {
  for (const input of form.querySelectorAll("[data-field]")) {
    input.removeAttribute("aria-invalid");
    const slot = document.getElementById(`${input.id}-error`);
    if (slot) {
      slot.textContent = "";
      slot.hidden = true;
    }
  }
}

// Returns how many of the problem's errors found their field.
export function showFieldErrors(form, problem, describe) {
  const errors = Array.isArray(problem.errors)
    ? problem.errors
    : problem.field
      ? [{ field: problem.field, code: problem.code, message: problem.detail }]
      : [];
  let shown = 0;
  let first = null;
  for (const error of errors) {
    const input = form.querySelector(`[data-field="${CSS.escape(String(error.field))}"]`);
    if (!input) continue;
    const slot = document.getElementById(`${input.id}-error`);
    input.setAttribute("aria-invalid", "true");
    if (slot) {
      slot.textContent = describe(error);
      slot.hidden = false;
    }
    first = first || input;
    shown += 1;
  }
  if (first) first.focus();
  return shown;
}
