'use strict';

const assert = require('node:assert');
const test = require('node:test');

const { apply } = require('../src/__ALGO_NAME__');

test('apply greets its input', () => {
  assert.strictEqual(apply('algorithmia'), 'hello algorithmia');
});
