import { runCli } from './run.js';

// `npm run cli -- <command>` and the `gatehouse` bin both land here.
const code = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
});
// Exit explicitly: a Redis reconnect timer or pool must not keep a finished command alive.
process.exit(code);
