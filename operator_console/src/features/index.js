// Feature modules that add screens and chat tools to the console without editing it.
// Each module exports `install(consoleApi)`; see ../../README.md for the API.
// The features engineer adds imports here, e.g.:
//   import * as triage from "./triage.js";
//   export default [triage];
import * as directory from "./directory.js";
import * as followup from "./followup.js";
import * as referrals from "./referrals.js";
import * as stats from "./stats.js";
import * as triage from "./triage.js";

export default [triage, referrals, followup, directory, stats];
