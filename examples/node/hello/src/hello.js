'use strict';

/**
 * @file The demo/hello algorithm.
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
