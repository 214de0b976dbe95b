// What the console tells the person at the till: a polite live region for good
// news (a payment arrived) and an alert box for refusals, with the API's own
// problem detail and code so support can look it up.

import { $ } from "./merchant-elements.js";

export function announce(text) {
  $("live").textContent = text;
}

export function fail(error) {
  const box = $("error");
  box.textContent = error && error.code ? error.message + " (" + error.code + ")" : String(error);
  box.hidden = false;
}

export function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

// Runs an action from a button or form, turning its failure into the alert.
export async function guarded(action) {
  clearError();
  try {
    return await action();
  } catch (error) {
    fail(error);
    return undefined;
  }
}

// The same, with its button disabled meanwhile: a double tap at a busy till
// must not create a second QR or send a second request.
export async function guardedBy(button, action) {
  if (button.disabled) return undefined;
  button.disabled = true;
  try {
    return await guarded(action);
  } finally {
    button.disabled = false;
  }
}
