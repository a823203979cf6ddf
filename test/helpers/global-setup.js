// Every test gets its temporary files under one folder that is removed afterwards, so
// cdktf's `cdktf.outdir.*` folders and test roots never pile up in /tmp.
const fs = require('fs');
const os = require('os');
const path = require('path');

module.exports = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-constructs-tests-'));
  process.env.TMPDIR = dir;
  process.env.BC_TEST_TMPDIR = dir;
};
