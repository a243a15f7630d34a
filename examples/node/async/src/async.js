'use strict';

/**
 * @file An async apply: it awaits a timer, then answers `"async <input>"`.
 * Input `"fail"` rejects with `Error("async failure")` instead.
 */

const { setTimeout: sleep } = require('node:timers/promises');

/**
 * Answers after a short wait.
 *
 * @param {*} input
 * @returns {Promise<string>}
 */
async function apply(input) {
  await sleep(10);
  if (input === 'fail') {
    throw new Error('async failure');
  }
  return `async ${input}`;
}

module.exports = { apply };
