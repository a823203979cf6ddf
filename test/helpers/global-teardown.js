const fs = require('fs');

module.exports = async () => {
  const dir = process.env.BC_TEST_TMPDIR;
  if (dir && !process.env.BC_KEEP_TEST_TMPDIR) fs.rmSync(dir, { recursive: true, force: true });
};
