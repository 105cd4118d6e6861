#!/usr/bin/env node
/** The `headroom` executable: runs the CLI with the real process surroundings. */
import os from 'node:os';
import { processIo } from './io.js';
import { runCli } from './program.js';

const exitCode = await runCli(
  process.argv.slice(2),
  { env: process.env, home: os.homedir(), nodePlatform: process.platform, isTTY: Boolean(process.stdout.isTTY) },
  processIo,
);
process.exitCode = exitCode;
