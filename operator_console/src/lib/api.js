// HTTP to the chat server: same origin, cookie session, CSRF header on every change.
import { current } from "../../../frontend_lib/i18n.js";

export const session = { csrf: "" };

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json", "Accept-Language": current.locale };
  if (method !== "GET") headers["X-CSRF-Token"] = session.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await res.json();
  } catch (e) {
    data = null;
  }
  if (!res.ok || !data || data.ok === false) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || "internal", err.message || "");
  }
  return data;
}
