// Downloads a file the API serves behind a bearer key (ES module).
//
// An <a href> cannot send the Authorization header, so the file is fetched,
// turned into a blob: URL and saved through a temporary <a download>; the
// name comes from the server's Content-Disposition. Problems are thrown as
// the shared ApiError so the page shows them like any other refusal.

import { ApiError } from "/static/common/api.js";

function filenameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const match = /filename="?([^";]+)"?/i.exec(header);
  return match ? match[1] : fallback;
}

export async function downloadFile(path, { token, fallbackName = "download" } = {}) {
  let response;
  try {
    response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}` },
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, { code: "network_error", detail: String(err) });
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = null;
    }
    throw new ApiError(response.status, problem);
  }
  const name = filenameOf(response, fallbackName);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the save in some browsers; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}
