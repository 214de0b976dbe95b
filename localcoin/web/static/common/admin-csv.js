// The city's CSV of wallet ids, read in the browser before anything is sent (ES module).
//
// One wallet per line, in the first column; quotes, a UTF-8 BOM, CRLF and a
// header line (any first line that is not a wallet id) are accepted. Every
// line keeps its number so a refusal can be shown against the row the clerk
// typed. A line is refused here when its id is malformed or repeats an
// earlier line (the API refuses a grant naming a wallet twice).

const WALLET_ID = /^wal_[A-Za-z0-9]{8,40}$/;

function firstCell(line) {
  const trimmed = line.trim();
  if (trimmed.startsWith('"')) {
    const end = trimmed.indexOf('"', 1);
    return end > 0 ? trimmed.slice(1, end).trim() : trimmed.slice(1).trim();
  }
  return trimmed.split(/[,\t;]/)[0].trim();
}

// -> {valid: [{line, id}], invalid: [{line, id, code}]}; codes: wallet_id_invalid, duplicate.
export function parseWalletCsv(text) {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  const valid = [];
  const invalid = [];
  const seen = new Map();
  lines.forEach((raw, index) => {
    const line = index + 1;
    const id = firstCell(raw);
    if (id === "") return;
    if (!WALLET_ID.test(id)) {
      if (index === 0) return; // a header
      invalid.push({ line, id, code: "wallet_id_invalid" });
      return;
    }
    if (seen.has(id)) {
      invalid.push({ line, id, code: "duplicate", first: seen.get(id) });
      return;
    }
    seen.set(id, line);
    valid.push({ line, id });
  });
  return { valid, invalid };
}

export function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
