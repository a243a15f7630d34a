'use strict';

/**
 * @file Always throws.
 *
 * Input `{"error_type": T, "message": M}` throws an error whose `error_type`
 * property is `T` and whose message is `M` (default "boom"); any other input
 * throws `Error("boom")`.
 */

/** An error carrying the error type the runner reports. */
class TypedError extends Error {
  /**
   * @param {string} message
   * @param {string} errorType
   */
  constructor(message, errorType) {
    super(message);
    this.name = 'TypedError';
    this.error_type = errorType;
  }
}

/**
 * Throws the error the input asks for.
 *
 * @param {*} input
 */
function apply(input) {
  if (input !== null && typeof input === 'object' && 'error_type' in input) {
    throw new TypedError(input.message ?? 'boom', input.error_type);
  }
  throw new Error('boom');
}

module.exports = { apply };
