// Uploads a file through tus with the npm tus-js-client (tests/node), as a browser or app would.
//   node tus_upload.js start  ENDPOINT TOKEN FILE ABORT_AT_BYTES  -> uploads until ABORT_AT_BYTES, then aborts;
//                                                                    prints {"url", "uploaded"}
//   node tus_upload.js resume ENDPOINT TOKEN FILE URL            -> resumes at the server's offset; prints
//                                                                    {"url", "resumed_at"}
const fs = require('fs');
const path = require('path');
const tus = require(path.join(__dirname, '..', 'node', 'node_modules', 'tus-js-client'));

const [mode, endpoint, token, file, extra] = process.argv.slice(2);
const data = fs.readFileSync(file);
let resumedAt = null;
const upload = new tus.Upload(data, {
  endpoint,
  uploadUrl: mode === 'resume' ? extra : null,
  chunkSize: 128 * 1024,
  retryDelays: [],
  headers: {Authorization: 'Bearer ' + token},
  metadata: {filename: path.basename(file), filetype: 'image/jpeg'},
  onProgress(sent) {
    if (resumedAt === null) resumedAt = sent;
    if (mode === 'start' && sent >= Number(extra)) {
      upload.abort(false).then(() => {
        console.log(JSON.stringify({url: upload.url, uploaded: sent}));
        process.exit(0);
      });
    }
  },
  onSuccess() {
    console.log(JSON.stringify({url: upload.url, resumed_at: resumedAt}));
  },
  onError(error) {
    console.error(String(error));
    process.exit(1);
  },
});
upload.start();
