# frozen_string_literal: true

# The __ALGO_OWNER__/__ALGO_NAME__ algorithm.

# Answers a request: input is a String for text (a BINARY-encoded one for
# binary) or the value JSON.parse gives for JSON.
def apply(input)
  "hello #{input}"
end
