# frozen_string_literal: true

require 'minitest/autorun'
require_relative '../src/hello'

# apply answers like the deployed algorithm.
class ApplyTest < Minitest::Test
  def test_greets_input
    assert_equal 'hello algorithmia', apply('algorithmia')
  end
end
