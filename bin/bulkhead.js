#!/usr/bin/env node
// The bulkhead command: runs the CLI with the process's arguments and sets the exit code.
import { run } from '../dist/src/cli/run.js';

const io = {
  // "Command-line software which adds ANSI color to its output by default should check for a NO_COLOR
  // environment variable that, when present and not an empty string, prevents the addition of ANSI color."
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  },
};

run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // Only bugs reach here: say so plainly, with the details for a bug report.
    process.stderr.write(
      `bulkhead: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  },
);
