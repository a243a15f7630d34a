# frozen_string_literal: true

# The demo/conformance algorithm: the behaviour every LangPack's conformance
# example shares, checked by the end-to-end LangPack matrix.

# The error the algorithm raises for "fail"; the runner reads error_type.
class ConformanceError < StandardError
  def error_type
    'ConformanceError'
  end
end

def apply(input)
  return input unless input.is_a?(String)
  return input if input.encoding == Encoding::BINARY

  case input
  when 'fail'
    raise ConformanceError, 'conformance failure'
  when 'print'
    $stdout.puts 'to stdout'
    $stdout.flush
    $stderr.puts 'to stderr'
    $stderr.flush
    'printed'
  when 'crash'
    exit!(3)
  when 'pid'
    Process.pid
  else
    "hello #{input}"
  end
end
