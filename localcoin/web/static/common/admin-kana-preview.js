// The onboarding form shows, under each kana field, the name as the bank will
// print it (株式会社ミドリ → ｶ)ﾐﾄﾞﾘ), converted by the server exactly as saving
// would convert it (POST /v1/merchants/kana_preview), so the clerk sees it
// before pressing 登録 (ES module).

const $ = (id) => document.getElementById(id);
const WAIT_MS = 300;

// inputId → the field the preview endpoint takes.
const FIELDS = { "m-name-kana": "name_kana", "m-holder": "holder_kana" };

async function show(ctx, inputId) {
  const input = $(inputId);
  const slot = $(`${inputId}-zengin`);
  const typed = input.value.trim();
  if (!typed) {
    slot.hidden = true;
    return;
  }
  try {
    const answer = await ctx.call("/v1/merchants/kana_preview", {
      method: "POST",
      body: { [FIELDS[inputId]]: typed },
    });
    // A later keystroke may have answered first; keep the newest.
    if (input.value.trim() !== typed) return;
    slot.textContent = ctx.t("merchant.zengin", { kana: answer[FIELDS[inputId]] });
    slot.hidden = false;
  } catch (error) {
    // A name the bank cannot print: saving will say why under the field.
    slot.hidden = true;
  }
}

export function installKanaPreview(ctx) {
  for (const inputId of Object.keys(FIELDS)) {
    let timer = null;
    $(inputId).addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => show(ctx, inputId), WAIT_MS);
    });
  }
}

export function clearKanaPreview() {
  for (const inputId of Object.keys(FIELDS)) $(`${inputId}-zengin`).hidden = true;
}
