'use strict';

/**
 * @file The __ALGO_OWNER__/__ALGO_NAME__ algorithm.
 */

/**
 * Answers a request.
 *
 * @param {string|Buffer|*} input a string for text, a Buffer for binary,
 *   the decoded value for JSON
 * @returns {string}
 */
function apply(input) {
  return `hello ${input}`;
}

module.exports = { apply };
