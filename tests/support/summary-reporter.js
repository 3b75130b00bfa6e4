// Mocha reporter: the usual spec output, then one closing line `N passed, N failed, N skipped`
// that CI reads (mocha's own summary is not read).
"use strict";
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats || {};
      // Defer so the line comes after the spec epilogue.
      process.nextTick(() =>
        console.log(`${s.passes || 0} passed, ${s.failures || 0} failed, ${s.pending || 0} skipped`),
      );
    });
  }
}
module.exports = SummaryReporter;
