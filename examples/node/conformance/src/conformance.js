'use strict';

/**
 * @file The demo/conformance algorithm: the behaviour every LangPack's
 * conformance example shares, checked by the end-to-end LangPack matrix.
 *
 * Binary and non-string JSON come back unchanged; the text commands "fail",
 * "print", "crash" and "pid" exercise errors, output, crashes and the
 * runner's identity; any other text `s` answers `"hello " + s`.
 */

/** The error "fail" throws; the runner reports its `error_type`. */
class ConformanceError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'ConformanceError';
    this.error_type = 'ConformanceError';
  }
}

/**
 * Answers as every LangPack's conformance algorithm does.
 *
 * @param {string|Buffer|*} input
 * @returns {string|Buffer|number|*}
 */
function apply(input) {
  if (typeof input !== 'string') {
    return input;
  }
  switch (input) {
    case 'fail':
      throw new ConformanceError('conformance failure');
    case 'print':
      process.stdout.write('to stdout\n');
      process.stderr.write('to stderr\n');
      return 'printed';
    case 'crash':
      process.exit(3);
      break;
    case 'pid':
      return process.pid;
    default:
      return `hello ${input}`;
  }
}

module.exports = { apply };
