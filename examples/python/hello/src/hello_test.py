"""Tests for the hello algorithm."""

import unittest

from src.hello import apply


class ApplyTest(unittest.TestCase):
    """apply() answers like the deployed algorithm."""

    def test_greets_input(self):
        self.assertEqual(apply("algorithmia"), "hello algorithmia")
