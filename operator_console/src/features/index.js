// Feature modules that add screens and chat tools to the console without editing it.
// Each module exports `install(consoleApi)`; see ../../README.md for the API.
// The features engineer adds imports here, e.g.:
//   import * as triage from "./triage.js";
//   export default [triage];
// The triage form is part of the work view (views/work/triage_panel.js): every chat
// gets its triage, also after it ended.
import * as followup from "./followup.js";
import * as referralPicker from "./referral_picker.js";
import * as referrals from "./referrals.js";
import * as stats from "./stats.js";

export default [referralPicker, followup, referrals, stats];
