// Feature modules that add screens and chat tools to the console without editing it.
// Each module exports `install(consoleApi)`; see ../../README.md for the API.
// The triage form is part of the work view (views/work/triage_panel.js): every chat
// gets its triage, also after it ended. The referral picker in a chat is
// referral_picker.js; the directory's editor for coordinators is directory.js.
import * as directory from "./directory.js";
import * as followup from "./followup.js";
import * as referralPicker from "./referral_picker.js";
import * as stats from "./stats.js";

export default [referralPicker, followup, directory, stats];
