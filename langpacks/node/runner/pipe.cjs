'use strict';

/**
 * @file Node.js LangPack runner: serves one algorithm over the langserver runner contract.
 *
 * Started with the algorithm's root as the working directory:
 *
 *     node /path/to/pipe.cjs
 *
 * It reads `algorithmia.conf`, requires `src/<algoname>.js` and prints
 * `PIPE_INIT_COMPLETE` once the algorithm is loaded. It then reads one JSON
 * request per line on stdin, calls the module's `apply` and writes one JSON
 * response per request to the FIFO named by `$ALGOOUT` (`/tmp/algoout` when
 * unset). Requests are answered one at a time, in order. EOF on stdin ends the
 * runner with exit code 0; a load failure ends it with exit code 1 before
 * `PIPE_INIT_COMPLETE`, the reason printed on stderr.
 *
 * `apply(input)` may return its result or a promise of it (an async
 * function); `apply(input, callback)`, declared with two parameters, answers
 * through `callback(err, result)` instead. An exception thrown outside the
 * request's own call chain (in a timer, an event handler) ends the runner, as
 * it ends any Node.js program; the server reports the exit and starts a new
 * runner.
 *
 * stdout and stderr belong to the algorithm: apart from the
 * `PIPE_INIT_COMPLETE` line the runner writes nothing on stdout, and its own
 * diagnostics go to stderr. Only the standard library is used, and the runner
 * supports Node.js 16 and later.
 */

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');
const { inspect } = require('node:util');

const CONFIG_FILE = 'algorithmia.conf';
const DEFAULT_FIFO = '/tmp/algoout';
const INIT_COMPLETE = 'PIPE_INIT_COMPLETE';
const DEFAULT_ERROR_TYPE = 'AlgorithmError';

/** The algorithm folder cannot be served; the message says why. */
class LoadError extends Error {}

/**
 * Loads the algorithm, then serves requests until stdin ends.
 *
 * @returns {Promise<number>} the process exit code
 */
async function main() {
  blockOutput();
  let apply;
  let requests;
  try {
    const root = process.cwd();
    const algoname = readAlgoname(root);
    requests = claimStdin();
    apply = loadApply(root, algoname);
  } catch (err) {
    const reason = err instanceof LoadError ? `node runner: ${err.message}` : inspect(err);
    process.stderr.write(`${reason}\n`);
    return 1;
  }
  process.stdout.write(`${INIT_COMPLETE}\n`);
  await serve(apply, requests, process.env.ALGOOUT || DEFAULT_FIFO);
  return 0;
}

/**
 * Makes writes to stdout and stderr synchronous when they are pipes.
 *
 * On POSIX, Node.js writes to pipes asynchronously: output the algorithm
 * prints may still sit in the process when its response is written, or be
 * lost when it calls `process.exit()`. The server captures both streams line
 * by line and attributes each line to the request in flight, so a line must
 * reach it as soon as it is printed, as Python's line buffering does.
 * Files are already synchronous, and so are terminals on POSIX.
 */
function blockOutput() {
  for (const stream of [process.stdout, process.stderr]) {
    // An internal API, but the one Node.js itself uses for pipes on Windows.
    stream._handle?.setBlocking?.(true);
  }
}

/**
 * Returns the `algoname` from the algorithm's `algorithmia.conf`.
 *
 * @param {string} root the algorithm's root folder
 * @returns {string}
 */
function readAlgoname(root) {
  const file = path.join(root, CONFIG_FILE);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new LoadError(`cannot read ${file}: ${err.message}`);
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new LoadError(`${file} is not valid JSON: ${err.message}`);
  }
  const algoname = config?.algoname;
  if (typeof algoname !== 'string' || algoname === '') {
    throw new LoadError(`${file} has no "algoname"`);
  }
  return algoname;
}

/**
 * Takes the request stream for the runner and gives the algorithm /dev/null.
 *
 * Requests arrive on file descriptor 0. An algorithm that reads
 * `process.stdin` or descriptor 0, or a child process it starts with an
 * inherited stdin, would otherwise consume request lines meant for the
 * runner. The standard library has no dup2(), so the runner opens the
 * request pipe anew, closes descriptor 0 and opens /dev/null, which takes
 * the lowest free descriptor: 0.
 *
 * @returns {import('node:stream').Readable} the request stream
 */
function claimStdin() {
  const isPipe = fs.fstatSync(0).isFIFO();
  // O_NONBLOCK: opening a pipe whose writer is already gone must not block.
  const flags = isPipe ? fs.constants.O_RDONLY | fs.constants.O_NONBLOCK : fs.constants.O_RDONLY;
  const fd = fs.openSync('/dev/fd/0', flags);
  fs.closeSync(0);
  fs.openSync('/dev/null', 'r');
  // A pipe is read through the event loop, as process.stdin would be;
  // anything else (a file, a terminal) through the thread pool.
  return isPipe ? new net.Socket({ fd, readable: true, writable: false }) : fs.createReadStream('', { fd });
}

/**
 * Requires `src/<algoname>.js` and returns its `apply` function, bound to
 * the module's exports.
 *
 * @param {string} root the algorithm's root folder
 * @param {string} algoname
 * @returns {Function}
 */
function loadApply(root, algoname) {
  const file = path.join(root, 'src', `${algoname}.js`);
  if (!fs.existsSync(file)) {
    throw new LoadError(`${file} not found`);
  }
  const algorithm = require(file);
  const apply = algorithm?.apply;
  // A module that exports a bare function would otherwise hand over
  // Function.prototype.apply.
  if (typeof apply !== 'function' || apply === Function.prototype.apply) {
    throw new LoadError(`src/${algoname}.js does not export apply(input)`);
  }
  return apply.bind(algorithm);
}

/**
 * Answers each request line from `requests` on the FIFO at `fifoPath`,
 * strictly one at a time.
 *
 * @param {Function} apply
 * @param {import('node:stream').Readable} requests
 * @param {string} fifoPath
 * @returns {Promise<void>} resolved at the end of the request stream
 */
async function serve(apply, requests, fifoPath) {
  const lines = readline.createInterface({ input: requests, crlfDelay: Infinity });
  for await (const line of lines) {
    const payload = await handle(apply, line);
    await flushOutput();
    // Opened, written and closed per response, as runners have always done.
    fs.writeFileSync(fifoPath, `${payload}\n`);
  }
}

/**
 * Decodes one request line, calls `apply` and returns the response as
 * compact JSON.
 *
 * @param {Function} apply
 * @param {string} line
 * @returns {Promise<string>}
 */
async function handle(apply, line) {
  let input;
  try {
    input = decodeInput(JSON.parse(line));
  } catch (err) {
    return JSON.stringify(errorResponse(`invalid request: ${err.message}`, 'SystemError'));
  }
  let result;
  try {
    result = await invoke(apply, input);
  } catch (err) {
    return JSON.stringify(algorithmErrorResponse(err));
  }
  return encodeResult(result);
}

/**
 * Returns the algorithm input carried by a decoded request object.
 *
 * @param {*} request
 * @returns {string|Buffer|*} a string for text, a Buffer for binary, the
 *   decoded value for JSON
 */
function decodeInput(request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw new TypeError('request is not a JSON object');
  }
  const { content_type: contentType, data } = request;
  switch (contentType) {
    case 'text':
    case 'json':
      return data;
    case 'binary':
      if (typeof data !== 'string') {
        throw new TypeError('binary data is not a base64 string');
      }
      return Buffer.from(data, 'base64');
    default:
      throw new TypeError(`unknown content_type ${JSON.stringify(contentType)}`);
  }
}

/**
 * Calls `apply` in the style it is written in: with a callback when it
 * declares two parameters, otherwise for a value or a promise.
 *
 * @param {Function} apply
 * @param {*} input
 * @returns {Promise<*>} the result
 */
async function invoke(apply, input) {
  if (apply.length >= 2) {
    return new Promise((resolve, reject) => {
      apply(input, (err, result) => (err ? reject(err) : resolve(result)));
    });
  }
  return apply(input);
}

/**
 * Encodes a result as a response: bytes as base64 binary, a string as text,
 * anything else as JSON.
 *
 * @param {*} result
 * @returns {string}
 */
function encodeResult(result) {
  let value = result;
  let contentType = 'json';
  if (result instanceof Uint8Array) {
    value = Buffer.from(result.buffer, result.byteOffset, result.byteLength).toString('base64');
    contentType = 'binary';
  } else if (typeof result === 'string') {
    contentType = 'text';
  }
  let encoded;
  try {
    encoded = JSON.stringify(value);
  } catch (err) {
    // A BigInt, a circular structure, a toJSON() that throws.
    return JSON.stringify(errorResponse(`result is not JSON serializable: ${err.message}`, DEFAULT_ERROR_TYPE));
  }
  // JSON.stringify() gives undefined for undefined, functions and symbols:
  // the result is then null, as it would be inside an array.
  return `{"result":${encoded ?? 'null'},"metadata":{"content_type":"${contentType}"}}`;
}

/**
 * Builds the response for an error the algorithm threw, rejected with or
 * passed to its callback. An `error_type` string property sets the type.
 *
 * @param {*} err
 * @returns {object}
 */
function algorithmErrorResponse(err) {
  let message;
  if (typeof err?.message === 'string') {
    message = err.message;
  } else if (typeof err === 'object' && err !== null) {
    message = inspect(err);
  } else {
    message = String(err);
  }
  const errorType = typeof err?.error_type === 'string' ? err.error_type : DEFAULT_ERROR_TYPE;
  return errorResponse(message, errorType, typeof err?.stack === 'string' ? err.stack : undefined);
}

/**
 * Builds an error response object.
 *
 * @param {string} message
 * @param {string} errorType
 * @param {string} [stacktrace]
 * @returns {object}
 */
function errorResponse(message, errorType, stacktrace) {
  const error = { message, error_type: errorType };
  if (stacktrace !== undefined) {
    error.stacktrace = stacktrace;
  }
  return { error };
}

/**
 * Resolves once everything written to stdout and stderr so far has left
 * the process, so that the algorithm's output precedes its response. With
 * blocking pipes there is nothing to wait for; this covers streams that
 * could not be made blocking.
 *
 * @returns {Promise<void>}
 */
async function flushOutput() {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => {
    if (stream.writableLength === 0 || !stream.writable) {
      resolve();
    } else {
      // Write callbacks run in order: this one runs after every earlier write.
      stream.write('', () => resolve());
    }
  })));
}

main().then(async (exitCode) => {
  await flushOutput();
  process.exit(exitCode);
});
