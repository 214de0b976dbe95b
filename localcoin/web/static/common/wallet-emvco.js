// Reads what a resident must see before paying from a merchant-presented EMVCo
// payload: static or dynamic, the amount (54), the shop's name (64/01 in
// Japanese, else 59) and the reference (62/05). Only for display: the server
// parses the payload again and checks its CRC and scheme before any money moves.

function split(text) {
  const fields = {};
  let i = 0;
  while (i + 4 <= text.length) {
    const id = text.slice(i, i + 2);
    const len = Number.parseInt(text.slice(i + 2, i + 4), 10);
    if (!/^\d\d$/.test(text.slice(i + 2, i + 4)) || i + 4 + len > text.length) return null;
    fields[id] = text.slice(i + 4, i + 4 + len);
    i += 4 + len;
  }
  return i === text.length ? fields : null;
}

export function readMerchantQr(payload) {
  const fields = split(payload.trim());
  if (!fields || fields["00"] !== "01") return null;
  const local = fields["64"] ? split(fields["64"]) : null;
  const additional = fields["62"] ? split(fields["62"]) : null;
  const amount = fields["54"] && /^\d+$/.test(fields["54"]) ? Number(fields["54"]) : null;
  return {
    dynamic: fields["01"] === "12",
    amount,
    name: (local && local["01"]) || fields["59"] || "",
    reference: (additional && additional["05"]) || "",
  };
}
