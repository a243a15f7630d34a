"""Tests for the __ALGO_NAME__ algorithm."""

import unittest

from src.__ALGO_NAME__ import apply


class ApplyTest(unittest.TestCase):
    """apply() answers like the deployed algorithm."""

    def test_greets_input(self):
        self.assertEqual(apply("algorithmia"), "hello algorithmia")
