// What the work view's buttons do: duty and languages, accept and let go, send, and the
// chat actions (transfer, invite, block, end, join, leave). Each calls the server with an
// acknowledged call and reports a refusal as a notice.
import { el } from "../../../../frontend_lib/dom.js";
import { _, fmt, languageLabel } from "../../../../frontend_lib/i18n.js";
import { errorText } from "../../lib/labels.js";
import { known } from "../../lib/directory.js";
import { applySent, outgoing } from "../../state/chats.js";
import { draftComplete, draftToForm } from "../../state/triage.js";
import { confirmDialog, endDialog, inviteDialog, languagesDialog, transferDialog } from "../dialogs.js";

function clientId() {
  return `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function createActions(ctx) {
  const { W, app, call } = ctx;
  const refused = (ack) => {
    app.notify(errorText(ack.error));
    return ack;
  };

  async function colleagues() {
    const ack = await call("colleagues", {});
    return ack.ok ? ack.items : [];
  }

  async function setDuty(on, languages) {
    const ack = await call("duty", { on, languages: languages.length ? languages : undefined });
    if (!ack.ok) return refused(ack);
    W.duty = ack.duty;
    app.rerender();
    return ack;
  }

  return {
    async accept(id) {
      const ack = await call("accept", { conversation_id: id });
      if (!ack.ok) refused(ack);
    },

    async decline(id) {
      const ack = await call("decline", { conversation_id: id });
      if (!ack.ok) refused(ack);
    },

    toggleDuty: () => setDuty(!W.duty.on, W.duty.languages),

    async chooseLanguages() {
      const chosen = await languagesDialog(W.duty.languages);
      if (!chosen) return;
      const ack = await setDuty(W.duty.on, chosen);
      if (ack.ok) app.api("PATCH", "/api/me", { languages: chosen }).catch(() => {});
    },

    // After a reconnect the server may have forgotten the duty (a restart): put it back.
    async restoreDuty(languages) {
      const ack = await call("duty", { on: true, languages: languages && languages.length ? languages : undefined });
      if (ack.ok) W.duty = ack.duty;
      // Re-rendering rebuilds the toast region, so the notice comes after it.
      app.rerender();
      if (ack.ok) app.notify(_("The connection was restored. You are on duty again."));
      else app.notify(_("The connection was restored, but you are off duty. Go on duty again to receive chats."));
    },

    // A reply or an internal note from the composer. Resolves with the ack; on success
    // the message is shown at once (state/chats.js applySent).
    async send(chat, text) {
      const pending = outgoing(chat, text, clientId);
      const ack = await call(pending.mode === "note" ? "note" : "message", { conversation_id: chat.conv.id, client_id: pending.client_id, text });
      const shown = applySent(W, chat, pending, ack, ctx.me());
      if (ack.ok) ctx.typing(chat).stop();
      if (shown && shown.added) ctx.messageAdded(chat, chat.messages.find((m) => m.id === ack.id), shown.atEnd);
      return ack;
    },

    async transfer(chat) {
      const choice = await transferDialog(await colleagues());
      if (!choice) return;
      const ack = await call("transfer", { conversation_id: chat.conv.id, to: choice.to, note: choice.note });
      if (!ack.ok) return refused(ack);
      const name = chat.conv.pseudonym;
      app.notify(choice.to === "queue" ? fmt(_("The chat with {name} is back in the queue."), { name }) : fmt(_("The chat with {name} was transferred."), { name }));
      ctx.removeChat(chat.conv.id);
    },

    async invite(chat) {
      const list = await colleagues();
      if (!list.length) return app.notify(_("There is no colleague to invite."));
      const to = await inviteDialog(list);
      if (!to) return;
      const ack = await call("invite", { conversation_id: chat.conv.id, to });
      if (!ack.ok) return refused(ack);
      chat.conv = { ...chat.conv, ...ack.conversation };
      ctx.renderHeader(chat);
    },

    async block(chat) {
      const yes = await confirmDialog(_("Block the visitor"), _("Blocking ends the chat at once and stops new chats from the same connection for some hours. Use it only for abuse."), _("Block and end"), true);
      if (!yes) return;
      const ack = await call("block", { conversation_id: chat.conv.id });
      if (!ack.ok) return refused(ack);
      const name = chat.conv.pseudonym;
      app.notify(ack.blocked ? fmt(_("{name} was blocked."), { name }) : fmt(_("The chat with {name} was ended, but the visitor's connection was already gone."), { name }));
    },

    // End the chat. A triage filled in during the chat (the side panel) is sent with
    // it; otherwise the chat waits in the list for its triage (docs/protocol.md). A
    // feature module may replace the dialog (setEndDialog).
    async end(chat) {
      const complete = draftComplete(chat.triageDraft);
      const dialog = app.state.endDialog || ((conv) => endDialog(conv, complete));
      let triage;
      try {
        triage = await dialog(chat.conv);
      } catch (e) {
        triage = null;
      }
      if (!triage) return;
      const payload = { conversation_id: chat.conv.id };
      if (Object.keys(triage).length) payload.triage = triage;
      else if (complete && known.schema) payload.triage = draftToForm(chat.triageDraft);
      const ack = await call("end", payload);
      if (!ack.ok) return refused(ack);
    },

    async join(chat) {
      const ack = await call("join", { conversation_id: chat.conv.id });
      if (!ack.ok) return refused(ack);
      chat.role = "invited";
      chat.conv = { ...chat.conv, ...ack.conversation };
      ctx.render();
    },

    async leave(chat) {
      const ack = await call("leave", { conversation_id: chat.conv.id });
      if (!ack.ok) return refused(ack);
      ctx.removeChat(chat.conv.id);
    },
  };
}

// The duty switch and the chat languages, for the top bar (main.js).
export function dutyControl(ctx) {
  const { W, actions } = ctx;
  const toggle = el(
    "button",
    { type: "button", class: W.duty.on ? "duty on" : "duty", "aria-pressed": W.duty.on ? "true" : "false", id: "duty-toggle" },
    el("span", { class: "dot", "aria-hidden": "true" }),
    W.duty.on ? _("On duty") : _("Off duty"),
  );
  toggle.addEventListener("click", actions.toggleDuty);
  // The name holds the visible codes ("SV · AR", WCAG 2.5.3); the title names them.
  const codes = W.duty.languages.length ? W.duty.languages.map((c) => c.toUpperCase()).join(" · ") : _("Languages");
  const langs = el("button", { type: "button", class: "ghost small", title: W.duty.languages.map(languageLabel).join(", ") || null }, codes);
  langs.setAttribute("aria-label", fmt(_("Languages you chat in: {list}"), { list: codes }));
  langs.addEventListener("click", actions.chooseLanguages);
  return el("div", { class: "duty-box" }, toggle, langs);
}
