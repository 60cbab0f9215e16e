// The official OVHcloud Node.js SDK, as its README configures it for OAuth2 client credentials
// against a custom endpoint: it obtains an access token from Latchkey's token endpoint and calls
// GET /me with it, over HTTPS only (the SDK has no plain HTTP). Prints the /me answer as JSON.
//
//   LATCHKEY_PORT=… CLIENT_ID=… CLIENT_SECRET=… NODE_EXTRA_CA_CERTS=cert.pem node me_over_oauth2.js
'use strict';

const port = Number(process.env.LATCHKEY_PORT);
const ovh = require('@ovhcloud/node-ovh')({
  host: '127.0.0.1',
  port,
  basePath: '/1.0',
  tokenURL: `https://127.0.0.1:${port}/auth/`,
  clientID: process.env.CLIENT_ID,
  clientSecret: process.env.CLIENT_SECRET,
});

ovh.requestPromised('GET', '/me')
  .then((me) => {
    process.stdout.write(JSON.stringify(me) + '\n');
  })
  .catch((err) => {
    process.stderr.write('node-ovh failed: ' + JSON.stringify(err) + '\n');
    process.exit(1);
  });
