'use strict';

/**
 * @file A callback-style apply: it answers `"callback <input>"` through
 * `callback(null, result)` on a later turn of the event loop. Input `"fail"`
 * passes `Error("callback failure")` to the callback instead.
 */

/**
 * Answers through `callback`.
 *
 * @param {*} input
 * @param {function(?Error, string=): void} callback
 */
function apply(input, callback) {
  setImmediate(() => {
    if (input === 'fail') {
      callback(new Error('callback failure'));
    } else {
      callback(null, `callback ${input}`);
    }
  });
}

module.exports = { apply };
