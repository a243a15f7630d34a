'use strict';

/**
 * @file Returns its input unchanged: a Buffer stays a Buffer (binary), a
 * string stays a string (text), anything else stays JSON.
 */

/**
 * Returns `input` as it came.
 *
 * @param {string|Buffer|*} input
 * @returns {string|Buffer|*}
 */
function apply(input) {
  return input;
}

module.exports = { apply };
