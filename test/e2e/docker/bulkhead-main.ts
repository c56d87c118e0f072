// The CLI as its own process, from the sources (the agent daemon runs until SIGTERM, so tests start it apart).
import { run } from '../../../src/cli/run.js';

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => '',
});
