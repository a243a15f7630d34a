'use strict';

const assert = require('node:assert');
const test = require('node:test');

const { apply } = require('../src/hello');

test('apply greets its input', () => {
  assert.strictEqual(apply('algorithmia'), 'hello algorithmia');
});
