'use strict';

/**
 * @file Prints on load and on every call.
 *
 * Input `{"out": S, "err": E}` prints `S` on stdout and `E` on stderr (each
 * only when given) and returns `{"ok": true}`; `{"flood": N}` prints N lines
 * of 100 characters on stdout first.
 */

console.log('loading chatty');

/**
 * Prints what the input asks for.
 *
 * @param {*} input
 * @returns {{ok: boolean}}
 */
function apply(input) {
  if (input !== null && typeof input === 'object') {
    for (let i = 0; i < (input.flood ?? 0); i++) {
      console.log(String(i).padStart(99, '0'));
    }
    if ('out' in input) {
      console.log(input.out);
    }
    if ('err' in input) {
      console.error(input.err);
    }
  }
  return { ok: true };
}

module.exports = { apply };
