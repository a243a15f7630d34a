'use strict';

/**
 * @file Dies on request.
 *
 * Input `"exit:N"` exits at once with code N, `"kill"` kills the process with
 * SIGKILL, `"sleep:S"` waits S seconds first, `"pid"` returns the process id
 * and anything else returns "alive".
 */

const { setTimeout: sleep } = require('node:timers/promises');

/**
 * Crashes as the input asks, or reports that the runner is alive.
 *
 * @param {*} input
 * @returns {Promise<number|string>}
 */
async function apply(input) {
  if (input === 'pid') {
    return process.pid;
  }
  if (typeof input === 'string' && input.startsWith('sleep:')) {
    await sleep(Number(input.slice('sleep:'.length)) * 1000);
  }
  if (input === 'kill') {
    process.kill(process.pid, 'SIGKILL');
  }
  if (typeof input === 'string' && input.startsWith('exit:')) {
    process.exit(Number(input.slice('exit:'.length)));
  }
  return 'alive';
}

module.exports = { apply };
